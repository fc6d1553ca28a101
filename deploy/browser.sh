# Sourced by deploy/screenshots.sh and deploy/notices.sh: sets $browser to headless-capable
# Chromium, installing it and CJK fonts from Debian's packages when missing (as root).
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ] || ! fc-list 2>/dev/null | grep -qi "cjk"; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Chromium or CJK fonts are missing: run as root, or: sudo apt-get install chromium fonts-noto-cjk" >&2
    exit 1
  fi
  echo "installing chromium and fonts-noto-cjk from Debian's packages …"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  browser=$(command -v chromium || command -v chromium-browser)
fi
