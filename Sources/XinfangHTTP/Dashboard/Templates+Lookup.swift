/// The petitioner's pages (`LookupController`): phone-first, large type, no script, no image, the
/// stylesheet inline. Every value is escaped; each shown value carries `data-field` with the
/// name of the `PublicProgress` field it shows, so a test can list what the page reveals.
enum LookupTemplates {
    static let all: [String: String] = ["lookupFrame": frame, "lookupForm": form, "lookupResult": result]

    static let css = """
        *{box-sizing:border-box}body{margin:0;font:17px/1.6 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1f2328;background:#f6f7f9}
        header{background:#b3261e;color:#fff;padding:14px 16px}header h1{margin:0;font-size:20px}header p{margin:2px 0 0;font-size:14px;opacity:.9}
        main{max-width:640px;margin:0 auto;padding:16px}footer{max-width:640px;margin:0 auto;padding:8px 16px 24px;color:#59636e;font-size:13px}
        form{background:#fff;border-radius:8px;padding:16px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
        label{display:block;margin:0 0 14px;font-weight:600}input,textarea{display:block;width:100%;margin-top:6px;font:inherit;padding:10px 12px;border:1px solid #8c959f;border-radius:6px}
        input[name=code]{letter-spacing:.12em;text-transform:uppercase}textarea{min-height:88px}
        button{width:100%;font:inherit;font-weight:600;padding:12px;border:0;border-radius:6px;background:#b3261e;color:#fff}
        fieldset{border:1px solid #d0d7de;border-radius:6px;margin:0 0 14px;padding:8px 12px}legend{font-weight:600;padding:0 4px}
        fieldset label{display:inline-block;font-weight:400;margin:4px 16px 4px 0}fieldset input{display:inline;width:auto;margin:0 6px 0 0}
        .msg{padding:10px 12px;border-radius:6px;margin:12px 0}.msg.error{background:#ffebe9;color:#82071e}.msg.ok{background:#dafbe1;color:#116329}
        .hint{color:#59636e;font-size:14px}.card{background:#fff;border-radius:8px;padding:16px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
        dl{margin:0}dt{color:#59636e;font-size:14px}dd{margin:0 0 10px;font-weight:600}
        ol{list-style:none;margin:0;padding:0}li{border-left:3px solid #b3261e;padding:0 0 12px 12px;margin-left:4px}
        li time{display:block;color:#59636e;font-size:14px}
        """

    static let frame = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>{{title}} · {{organ}}</title><style>{{{css}}}</style></head>
        <body><header><h1>信访事项办理进度查询</h1><p>{{organ}}</p></header>
        <main>{{$body}}{{/body}}</main>
        <footer>本页只显示信访事项办理进度等公开信息，不显示个人信息和办理过程中的内部材料。查询和评价均有记录。</footer>
        </body></html>
        """

    static let form = """
        {{<lookupFrame}}{{$body}}
        {{#message}}<p class="msg {{kind}}" role="alert">{{text}}</p>{{/message}}
        <form method="post" action="/lookup">
        <label>查询码<input name="code" value="{{code}}" required maxlength="20" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="例如 ABCD-EFGH-JKL"></label>
        <label>手机号码或证件号码后四位<input name="last4" required minlength="4" maxlength="4" autocomplete="off"></label>
        <button>查询</button>
        </form>
        <p class="hint">查询码印在《信访事项受理告知书》上，登记了手机号码的也会以短信发送。查询码共 11 位，由数字和字母组成（不含 0、O、1、I），输入时不区分大小写，可省略横线。连续输错将暂停查询。</p>
        {{/body}}{{/lookupFrame}}
        """

    static let result = """
        {{<lookupFrame}}{{$body}}
        {{#message}}<p class="msg {{kind}}" role="alert">{{text}}</p>{{/message}}
        {{#progress}}
        <section class="card"><dl>
        <dt>信访件编号</dt><dd data-field="caseNumber">{{caseNumber}}</dd>
        <dt>登记日期</dt><dd data-field="registeredOn">{{registeredOn}}</dd>
        <dt>当前办理机关</dt><dd data-field="handlingOrgan">{{handlingOrgan}}</dd>
        <dt>办理状态</dt><dd data-field="stage">{{stage}}</dd>
        </dl></section>
        <section class="card"><h2>办理进度</h2><ol>
        {{#steps}}<li><time data-field="steps.date">{{date}}</time><span data-field="steps.title">{{title}}</span> · <span data-field="steps.organ">{{organ}}</span></li>{{/steps}}
        </ol></section>
        {{#evaluation}}<section class="card"><h2>满意度评价</h2><dl>
        <dt>评价状态</dt><dd data-field="evaluation.label">{{label}}</dd>
        {{#dueOn}}<dt>评价截止日期</dt><dd data-field="evaluation.dueOn">{{.}}</dd>{{/dueOn}}
        {{#office}}<dt>对信访部门</dt><dd data-field="evaluation.office">{{.}}</dd>{{/office}}
        {{#unit}}<dt>对责任单位</dt><dd data-field="evaluation.unit">{{.}}</dd>{{/unit}}
        </dl></section>{{/evaluation}}
        {{/progress}}
        {{#evaluable}}
        <form method="post" action="/lookup/evaluate">
        <input type="hidden" name="code" value="{{code}}"><input type="hidden" name="last4" value="{{last4}}">
        <fieldset><legend>对信访部门（登记、转送的信访工作机构）</legend>{{#ratings}}<label><input type="radio" name="officeRating" value="{{value}}" required>{{label}}</label>{{/ratings}}</fieldset>
        <fieldset><legend>对责任单位（办理您的事项的单位）</legend>{{#ratings}}<label><input type="radio" name="unitRating" value="{{value}}" required>{{label}}</label>{{/ratings}}</fieldset>
        <label>意见或不满意的原因（选填）<textarea name="comment" maxlength="2000"></textarea></label>
        <button>提交评价</button>
        <p class="hint">评价只能提交一次，提交后不能修改。</p>
        </form>
        {{/evaluable}}
        <p><a href="/lookup">查询其他信访事项</a></p>
        {{/body}}{{/lookupFrame}}
        """
}
