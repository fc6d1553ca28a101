# A node's image: build with the Swift toolchain, run on a slim base as a non-root user.
#   docker build -t xinfang .
#   docker run -v /srv/xinfang/430102:/var/lib/xinfang -v /etc/xinfang:/etc/xinfang:ro -p 8440:8440 \
#     xinfang serve --config /etc/xinfang/nodes/430102.json
# The configuration's dataDirectory must be under /var/lib/xinfang and listen on 0.0.0.0.

FROM swift:6.3-noble AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so a source change does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
RUN swift build -c release --static-swift-stdlib --product xinfang \
    && install -D "$(swift build -c release --show-bin-path)/xinfang" /out/xinfang

FROM ubuntu:noble
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/xinfang --shell /usr/sbin/nologin xinfang \
    && install -d -o xinfang -g xinfang -m 0700 /var/lib/xinfang
COPY --from=build /out/xinfang /usr/local/bin/xinfang
COPY schemas/ownership-policy.json /usr/share/xinfang/ownership-policy.json
USER xinfang
WORKDIR /var/lib/xinfang
ENV TZ=Asia/Shanghai
VOLUME ["/var/lib/xinfang"]
EXPOSE 8440
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fs http://127.0.0.1:8440/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/xinfang"]
CMD ["--help"]
