extension Templates {
    static let overview = """
        {{<frame}}{{$body}}
        {{#crumbs}}<div class="crumbs">{{#links}}<a href="{{href}}">{{text}}</a> › {{/links}}{{current}}</div>{{/crumbs}}<h1>{{name}}　辖区在办情况</h1>
        <div class="cards" id="summary">{{#cards}}<a class="card{{#alert}} alert{{/alert}}" href="{{href}}"><div class="v" data-figure="{{id}}">{{value}}</div><div class="k">{{label}}</div></a>{{/cards}}</div>
        <p class="muted">红灯：已超过办理期限；黄灯：{{yellowDays}}个工作日内到期；绿灯：其余在办件。在办时长自收件日期起算。每个数字均可点击查看对应信访件。</p>
        {{#children}}<h2>下级辖区（点击名称进入）</h2>{{>backlog}}{{/children}}
        <h2>各单位在办情况 <a class="muted" href="/api/v1/backlog.csv?node={{root}}">导出CSV</a></h2>
        {{#nodes}}{{>backlog}}{{/nodes}}
        <div class="grid">{{#panels}}{{>panel}}{{/panels}}</div>
        {{#held}}<h2>{{title}}</h2>{{#table}}{{>cases}}{{/table}}<p><a href="/ui/cases?holder={{node}}&amp;open=true&amp;sort=due&amp;order=asc">全部 ›</a></p>{{/held}}
        {{^empty(moved)}}<h2>流转最频繁的信访件</h2><div class="scroll"><table><tr><th>信访件编号</th><th>摘要</th><th class="n">流转次数</th><th>办理机关</th><th class="wide">状态</th></tr>
        {{#moved}}<tr><td><a href="/ui/cases/{{number}}">{{number}}</a></td><td>{{summary}}</td><td class="n">{{moves}}</td><td>{{holder}}</td><td class="wide">{{status}}</td></tr>{{/moved}}</table></div>{{/empty(moved)}}
        {{/body}}{{/frame}}
        """

    static let role = """
        {{<frame}}{{$body}}<h1>{{role}}</h1><p class="muted">本角色不查阅信访件内容；请使用 /api/v1/users 或 /api/v1/audit。</p>{{/body}}{{/frame}}
        """

    static let caseList = """
        {{<frame}}{{$body}}
        <h1>信访件（{{count}}）</h1><form method="get" action="/ui/cases" class="act"><label>关键词 <input name="q" maxlength="100" value="{{text}}"></label>{{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">{{/hidden}}<button>查询</button></form>
        {{#filters}}<p class="muted">筛选条件：{{.}}{{#clearHref}} · <a href="{{.}}">清除条件</a>{{/clearHref}}</p>{{/filters}}
        <p><a href="/ui/cases?light=red&amp;sort=due&amp;order=asc">只看超期（按超期天数）</a> · <a href="/ui/cases?light=yellow&amp;sort=due&amp;order=asc">只看临期</a> · <a href="{{exportHref}}">导出CSV（全部符合条件的件）</a></p>
        {{#table}}{{>cases}}{{/table}}{{^table}}<p class="muted">没有符合条件的信访件。</p>{{/table}}
        {{#nextHref}}<p><a href="{{.}}">下一页 ›</a></p>{{/nextHref}}
        {{/body}}{{/frame}}
        """

    static let casePage = """
        {{<frame}}{{$body}}
        {{#message}}<div class="msg">{{.}}</div>{{/message}}{{#error}}<div class="msg error">{{.}}</div>{{/error}}
        <h1>信访件 {{number}}</h1><table class="facts">
        <tr><th>状态</th><td><span class="dot {{light}}"></span>{{lightLabel}} <span class="tag">{{status}}</span>{{#flagCount}} <span class="tag red">预警 {{.}}</span>{{/flagCount}}</td></tr>
        <tr><th>收件日期</th><td>{{received}}（已历时 {{ageDays}} 天）</td></tr>
        <tr><th>办理机关</th><td>{{holder}}（自 {{holderSince}}）</td></tr>
        <tr><th>责任单位</th><td>{{owner}}</td></tr>
        <tr><th>摘要</th><td class="pre">{{summary}}</td></tr>
        <tr><th>诉求内容</th><td class="pre">{{text}}</td></tr>
        <tr><th>信访人</th><td>{{petitioners}}{{#collective}}（集体访 {{batches}} 批 {{persons}} 人次）{{/collective}}{{#canReveal}}<form method="get" action="/ui/cases/{{number}}" style="display:inline"><input type="hidden" name="reveal" value="contact"> <button>查看联系方式</button></form><span class="muted">（用于受理告知，查看将记入审计）</span>{{/canReveal}}
        {{#contacts}}<br>{{name}}{{#lead}}（主访人）{{/lead}}　手机 {{mobile}}　证件号码 {{idNumber}}　住址 {{address}}{{/contacts}}
        {{#lookupCode}}<br>查询码 <code>{{.}}</code>{{/lookupCode}}{{#canReissueCode}} <form method="post" action="/ui/cases/{{number}}/lookup-code" style="display:inline"><button>重发查询码</button></form>{{/canReissueCode}}</td></tr>
        <tr><th>形式 / 目的</th><td>{{channel}}{{#jointLetter}}（联名信）{{/jointLetter}} / {{purpose}}</td></tr>
        <tr><th>内容分类</th><td>{{category}}</td></tr>
        <tr><th>问题属地</th><td>{{region}}</td></tr>
        <tr><th>登记</th><td>{{registeredAt}} {{registered}}，登记人 {{registeredBy}}</td></tr>
        {{#intake}}<tr><th>查重结果</th><td><span class="tag red">{{kind}}</span> 前件 <a href="/ui/cases/{{earlier}}">{{earlier}}</a>（当时办理机关：{{earlierHolder}}）</td></tr>{{/intake}}
        {{^empty(repeats)}}<tr><th>重复信访</th><td>{{#repeats}}<a href="/ui/cases/{{.}}">{{.}}</a> {{/repeats}}</td></tr>{{/empty(repeats)}}
        </table><h2>期限</h2><div class="scroll"><table><tr><th>期限</th><th>届满日</th><th class="wide">完成时间</th><th>情况</th></tr>
        {{#deadlines}}<tr><td>{{label}}</td><td>{{dueDate}}</td><td class="wide">{{metAt}}</td><td>{{#light}}<span class="dot {{.}}"></span>{{/light}}{{state}}{{#daysOverdue}} <span class="tag red">超期 {{.}} 天</span>{{/daysOverdue}}</td></tr>{{/deadlines}}
        </table></div>
        {{#flags}}<h2>对账预警</h2>{{>flags}}{{/flags}}
        {{^empty(conflicts)}}<h2>强制接管冲突</h2><div class="scroll"><table><tr><th>分叉位置</th><th>胜出方</th><th>失败分支</th><th>失败分支的操作</th><th>处理</th></tr>
        {{#conflicts}}<tr><td>第 {{forkSeq}} 条</td><td>{{winner}}</td><td>{{loser}}：<code>{{branch}}…</code></td><td>{{losing}}</td><td>{{#open}}<span class="tag red">待处理</span>{{/open}}{{^open}}{{decision}}{{/open}}</td></tr>{{/conflicts}}</table></div>{{/empty(conflicts)}}
        <h2>流转轨迹（各层级所见相同）</h2><ol class="timeline">
        {{#timeline}}<li class="{{cls}}"><strong>{{label}}</strong>　{{origin}}　{{actor}}　<span class="muted">{{time}} · 第 {{seq}} 条</span>{{#command}}<br><span class="tag">上级指令</span>来自 {{origin}}（{{actor}}）{{/command}}{{#detail}}<br><span class="pre">{{.}}</span>{{/detail}}{{#movedTo}}<br><span class="tag">办理机关 → {{.}}</span>{{/movedTo}}</li>
        {{/timeline}}{{#losing}}<li class="conflict"><span class="tag red">失败分支</span><strong>{{label}}</strong>　{{origin}}　{{actor}}　<span class="muted">{{time}} · 第 {{seq}} 条</span></li>
        {{/losing}}</ol>
        {{#caseFile}}<h2>信访材料</h2>{{^empty(files)}}<div class="gallery">{{#files}}<figure class="file{{#withdrawn}} withdrawn{{/withdrawn}}">{{#isHere}}{{#isImage}}<a href="{{href}}"><img src="{{href}}" alt="{{name}}" loading="lazy"></a>{{/isImage}}{{^isImage}}<a class="doc" href="{{href}}">{{type}}</a>{{/isImage}}{{/isHere}}{{^isHere}}<span class="doc muted">同步中</span>{{/isHere}}<figcaption><a href="{{href}}">{{name}}</a><br><span class="muted">{{stage}} · {{size}} · {{origin}} {{addedBy}} · {{at}}</span>{{#withdrawn}}<br><span class="tag">{{.}}</span>{{/withdrawn}}</figcaption></figure>{{/files}}</div>{{/empty(files)}}{{#empty(files)}}<p class="muted">尚无材料。</p>{{/empty(files)}}
        {{#canUpload}}<details><summary>添加材料</summary><form class="act" method="post" action="/ui/cases/{{number}}/files" enctype="multipart/form-data"><label>阶段 <select name="stage">{{#stages}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{text}}</option>{{/stages}}</select></label><label>文件 <input type="file" name="file" accept=".pdf,.jpg,.jpeg,.png,.tif,.tiff,.webp,.mp3,.wav,.m4a,.amr" required></label><button>上传</button><span class="muted">PDF、图片或录音，单个不超过 {{fileBytesMax}}；类型以文件内容为准。</span></form></details>{{/canUpload}}
        <h2>文书</h2>{{^empty(notices)}}<table><tr><th>文号</th><th>文书</th><th>送达</th></tr>{{#notices}}<tr><td>{{docNumber}}</td><td><a href="{{href}}">{{title}}</a></td><td>{{served}}</td></tr>{{/notices}}</table>{{/empty(notices)}}{{#empty(notices)}}<p class="muted">尚未出具文书。</p>{{/empty(notices)}}
        {{#noticeButtons}}<form class="inline" method="post" action="/ui/cases/{{number}}/notices"><input type="hidden" name="kind" value="{{kind}}"><button>出具{{title}}</button></form> {{/noticeButtons}}{{/caseFile}}
        {{^empty(forms)}}<h2>办理操作</h2>{{/empty(forms)}}{{#forms}}<details><summary>{{label}}{{#isCommand}}（作为上级指令发往办理机关）{{/isCommand}}</summary><form class="act" method="post" action="/ui/cases/{{number}}/actions"><input type="hidden" name="action" value="{{action}}">{{#fields}}{{>field}}{{/fields}}<label>经办人 <input name="actor" maxlength="{{actorMax}}" required></label><button>提交</button></form></details>
        {{/forms}}
        {{/body}}{{/frame}}
        """

    /// One input of a form: a choice, a one-line input, a checkbox or a text area.
    static let field = """
        {{#select}}<label>{{label}} <select name="{{name}}">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{text}}</option>{{/options}}</select></label>{{/select}}{{#grouped}}<label>{{label}} <select name="{{name}}">{{#groups}}<optgroup label="{{label}}">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{text}}</option>{{/options}}</optgroup>{{/groups}}</select></label>{{/grouped}}{{#search}}<label>{{label}} <input name="{{name}}" list="{{listID}}" value="{{value}}" maxlength="200" size="36"></label><datalist id="{{listID}}">{{#suggestions}}<option value="{{.}}">{{/suggestions}}</datalist>{{/search}}{{#input}}<label>{{label}} <input type="{{type}}" name="{{name}}"{{#maxlength}} maxlength="{{.}}"{{/maxlength}}{{#min}} min="{{.}}"{{/min}}{{#max}} max="{{.}}"{{/max}}{{#size}} size="{{.}}"{{/size}}{{#value}} value="{{.}}"{{/value}}{{#required}} required{{/required}}></label>{{/input}}{{#checkbox}}<label><input type="checkbox" name="{{name}}" value="true"{{#checked}} checked{{/checked}}> {{label}}</label>{{/checkbox}}{{#area}}<label style="display:block">{{label}}<textarea name="{{name}}" maxlength="{{maxlength}}"{{#required}} required{{/required}}{{#tall}} style="height:120px"{{/tall}}>{{value}}</textarea></label>{{/area}}{{#lineBreak}}<br>{{/lineBreak}}
        """

    static let register = """
        {{<frame}}{{$body}}
        <h1>登记信访件</h1>{{#error}}<div class="msg error">未登记：{{.}}</div>{{/error}}<form class="act" method="post" action="/ui/register">{{#fields}}{{>field}}{{/fields}}<button>登记</button></form><p class="muted">登记时自动查重：同一信访人同一事项的，关联为重复信访；下级已受理的，按越级访转交办理机关；已复核或终结的，不再受理。</p>
        {{/body}}{{/frame}}
        """

    static let flagList = """
        {{<frame}}{{$body}}
        <h1>对账预警（{{count}}）</h1><p><a href="/api/v1/flags.csv">导出CSV</a></p>{{#table}}{{>flags}}{{/table}}{{^table}}<p class="muted">没有未处理的预警。</p>{{/table}}
        {{/body}}{{/frame}}
        """

    static let stats = """
        {{<frame}}{{$body}}
        {{#crumbs}}<div class="crumbs">{{#links}}<a href="{{href}}">{{text}}</a> › {{/links}}{{current}}</div>{{/crumbs}}<h1>考核指标　{{name}}（{{from}} 至 {{to}}）</h1>
        <form method="get" class="act"><input type="hidden" name="node" value="{{root}}"><label>自 <input type="date" name="from" value="{{from}}"></label><label>至 <input type="date" name="to" value="{{to}}"></label><button>统计</button></form>
        <div class="grid">{{#panel}}{{>panel}}{{/panel}}</div>
        <h2>分辖区</h2><table id="stats"><tr><th>辖区</th><th class="n">登记</th><th class="n">网信</th><th class="n">重复</th><th class="n">越级</th><th class="n">集体访批/人次</th><th class="n">联名信</th><th class="n">及时受理率</th><th class="n">按期办结率</th><th class="n">参评率</th><th class="n">部门满意率</th><th class="n">单位满意率</th><th class="n">重复率</th><th class="n">网信占比</th></tr>
        {{#rows}}<tr><td>{{#href}}<a href="{{.}}">{{name}}</a>{{/href}}{{^href}}{{name}}{{/href}}</td>{{#counts}}<td class="n">{{.}}</td>{{/counts}}{{#rates}}<td class="n">{{.}}</td>{{/rates}}</tr>
        {{/rows}}</table><p><a href="/api/v1/stats.csv?node={{root}}&amp;from={{from}}&amp;to={{to}}">导出CSV</a></p><p class="muted">口径：及时受理率按登记后15日届满日落在期间内的件；按期办结率按限办截止日落在期间内的件；参评率、满意率按评价时间；比率不含涉法涉诉件。</p>
        {{/body}}{{/frame}}
        """

    static let error = """
        {{<bare}}{{$body}}<h1>{{heading}}</h1><p>{{detail}}</p><p class="muted">（错误代码 {{status}}）</p>
        <p><a href="/">返回首页</a> · <a href="/ui/cases">信访件列表</a> · <a href="/ui/login">重新登录</a></p>{{/body}}{{/bare}}
        """

    static let totp = """
        {{<frame}}{{$body}}<h1>设置动态口令</h1>
        {{#done}}<div class="msg">动态口令已启用。此后登录请输入手机应用显示的口令；原口令已停用。</div><p><a href="/">返回首页</a></p>{{/done}}
        {{^done}}<p>1. 在手机上打开身份验证器应用（如“微信小程序·腾讯身份验证器”、Google Authenticator、Microsoft Authenticator），选择“扫描二维码”：</p>
        <div class="qr">{{{qr}}}</div>
        <p>无法扫码时，选择“手动输入密钥”，输入：<code class="secret">{{secret}}</code>（基于时间，30 秒，6 位）</p>
        <p>2. 输入应用中显示的 6 位口令，确认后新口令生效（此前的口令仍然有效）。本页 10 分钟内有效。</p>
        {{#error}}<div class="msg error">{{.}}</div>{{/error}}
        <form class="act" method="post" action="/ui/totp"><input type="hidden" name="pending" value="{{pending}}"><label>动态口令 <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required></label><button>确认启用</button></form>{{/done}}
        {{/body}}{{/frame}}
        """

    static let login = """
        {{<bare}}{{$body}}<h1>登录</h1>
        {{#error}}<p class="error">{{.}}</p>{{/error}}
        <form method="post" action="/ui/login" class="form">
        <label>用户名 <input name="username" value="{{username}}" autocomplete="username" required maxlength="32"></label>
        <label>密码 <input name="password" type="password" autocomplete="current-password" required maxlength="128"></label>
        <label>动态口令（领导、承办人、登记员及管理员必填）<input name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="6"></label>
        <button>登录</button></form>
        <p class="muted">连续 5 次失败将锁定账号 15 分钟；30 分钟无操作自动退出。</p>{{/body}}{{/bare}}
        """

    static let password = """
        {{<bare}}{{$body}}<h1>修改密码</h1>
        <p class="muted">初始密码或超过有效期的密码须先修改。新密码至少 12 位，包含大写字母、小写字母、数字、符号中的至少三类，且不含用户名。</p>
        {{#error}}<p class="error">{{.}}</p>{{/error}}
        <form method="post" action="/ui/password" class="form">
        <label>当前密码 <input name="currentPassword" type="password" autocomplete="current-password" required maxlength="128"></label>
        <label>新密码 <input name="newPassword" type="password" autocomplete="new-password" required minlength="12" maxlength="128"></label>
        <label>再次输入新密码 <input name="repeatPassword" type="password" autocomplete="new-password" required minlength="12" maxlength="128"></label>
        <button>修改</button></form>{{/body}}{{/bare}}
        """
}
