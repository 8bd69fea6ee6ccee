"""The modeler page's strings (templates/admin/modeler.html, including those its script shows):
English msgid -> Chinese. Regenerate the catalog with

    .venv/bin/python web/translations/make_catalog.py modeler web/translations/modeler/strings_zh.py

`%` is doubled in msgids and translations (the template's gettext applies %-formatting).
"""
ZH = {
    # the page
    "Process modeler": "流程建模",
    "Modeler": "建模工具栏",
    "Show all Camunda properties": "显示全部 Camunda 属性",
    "New process": "新建流程",
    "Deployed": "已部署",
    "— choose a version —": "— 选择版本 —",
    "Open": "打开",
    "Upload .bpmn": "上传 .bpmn",
    "Download .bpmn": "下载 .bpmn",
    "Check the diagram with the engine (Ctrl+S)": "用流程引擎检查当前流程图（Ctrl+S）",
    "Validate": "校验",
    "Comment for this version": "版本说明",
    "Accept warnings": "接受警告",
    "Deploy": "部署",
    "The modeler is not built: run ./dev setup (npm run build).": "建模器尚未构建：请运行 ./dev setup（npm run build）。",
    "Loading…": "正在加载…",
    "Diagram": "流程图",
    "Properties": "属性",
    "The diagram changed since this check: validate again.": "流程图在校验后已修改，请重新校验。",
    "Errors (deploying is refused)": "错误（存在错误时不能部署）",
    "Warnings": "警告",
    # the script's messages
    "{process} version {version}": "{process} 版本 {version}",
    "{name}: {process} (not deployed)": "{name}：{process}（未部署）",
    "New process ({process})": "新建流程（{process}）",
    "unsaved changes": "有未部署的修改",
    "Failed: {message}": "操作失败：{message}",
    "The file could not be opened: {message}": "无法打开该文件：{message}",
    "{message} ({count} parts of the file were not understood and will be dropped on save).":
        "{message}（文件中有 {count} 处内容无法识别，保存时将被丢弃）。",
    "Discard the unsaved changes?": "放弃未部署的修改？",
    "New process from the template. Give it an id and a name (click the empty canvas).":
        "已按模板新建流程。请点击画布空白处，填写流程 ID 和名称。",
    "Opened {process} version {version}.": "已打开 {process} 版本 {version}。",
    "Opened the file {name}. It is not deployed yet.": "已打开文件 {name}，尚未部署。",
    "Downloaded {name}.": "已下载 {name}。",
    "(line {line})": "（第 {line} 行）",
    "{count} errors: correct them before deploying.": "发现 {count} 个错误：修正后才能部署。",
    "No errors, {count} warnings.": "没有错误，有 {count} 个警告。",
    "No problems found.": "校验通过，未发现问题。",
    "Not deployed: {count} errors. Correct them and deploy again.": "未部署：有 {count} 个错误。请修正后重新部署。",
    "Not deployed: {count} warnings. Check them; tick \"accept warnings\" to deploy anyway.":
        "未部署：有 {count} 个警告。请检查；如确认无误，勾选“接受警告”后再部署。",
    "Nothing to deploy: the diagram is the same as {process} version {version}.":
        "无需部署：流程图与 {process} 版本 {version} 相同。",
    "Also deployed from this file: {list}.": "同一文件中的其他流程也已部署：{list}。",
    "{name} version {version}": "{name} 版本 {version}",
    ", ": "、",
    "Deployed {process} version {version}. New instances use it; running ones stay on their version.":
        "已部署 {process} 版本 {version}。新发起的流程使用该版本，进行中的流程仍按原版本办理。",
    "version {version}": "版本 {version}",
    # the properties panel's Duban entries
    "Assignment and deadline": "办理人与期限",
    "Units and roles could not be loaded; type the codes into \"Candidate groups\".":
        "无法加载单位和角色，请在“候选组”中直接填写代码。",
    "Loading units and roles…": "正在加载单位和角色…",
    "Units": "单位",
    "Roles": "角色",
    "Working groups": "工作组",
    "Choose candidate groups": "选择候选组（可多选）",
    "Also: {codes} (expressions or other codes, kept as they are)": "另有：{codes}（表达式或其他代码，保持不变）",
    "{n} working days (weekends and public holidays skipped)": "{n} 个工作日（不含周末和法定节假日）",
    "calendar duration": "自然时长",
    "a fixed date and time": "固定的日期时间",
    "a repeating cycle": "重复周期",
    "an expression over the instance variables": "按流程变量计算的表达式",
    "a Python expression over the instance variables": "按流程变量计算的 Python 表达式",
    "Working days: P15WD = 15 working days, P2WDT4H = 2 working days and 4 hours; P3D = 3 calendar days, "
    "PT4H = 4 hours; a date 2026-12-01T09:00:00+08:00; or ${feedback_deadline}.":
        "工作日：P15WD 即 15 个工作日，P2WDT4H 即 2 个工作日又 4 小时；P3D 为 3 个自然日，PT4H 为 4 小时；"
        "也可填日期时间 2026-12-01T09:00:00+08:00 或表达式 ${feedback_deadline}。",
    "Read as: {meaning}": "识别为：{meaning}",
    "Due date": "办理期限",
    "Not a valid duration or date: write P15WD (15 working days), P3D, PT4H, 2026-12-01T09:00:00+08:00 or ${variable}.":
        "不是有效的时长或日期：可写 P15WD（15 个工作日）、P3D、PT4H、2026-12-01T09:00:00+08:00 或 ${变量}。",
    "The expression ${...} is empty.": "表达式 ${...} 为空。",
    "Escalation ladder": "逾期升级阶梯（escalation）",
    "Rungs separated by \";\": reminder@80%% (at 80%% of the time), overdue@due, leader@due+P3WD, "
    "accountability@due+P5WD, unclaimed@created+PT4H. Empty: the default {ladder}.":
        "各级用“;”分隔：reminder@80%%（期限过 80%% 时提醒）、overdue@due（到期）、leader@due+P3WD（逾期 3 个工作日报领导）、"
        "accountability@due+P5WD（问责）、unclaimed@created+PT4H（4 小时未签收）。留空则使用默认：{ladder}。",
    "Rung \"{rung}\" is not of the form name@80%%, name@due+P3WD or name@created+PT4H.":
        "“{rung}”格式不对，应为 name@80%%、name@due+P3WD 或 name@created+PT4H。",
    "Unknown rung \"{rung}\"; use one of {actions}.": "未知的升级级别“{rung}”，可用：{actions}。",
    "Rung \"{rung}\" has an invalid duration.": "“{rung}”中的时长无效。",
    "Rung \"{rung}\" has a percentage over 100.": "“{rung}”中的百分比超过 100。",
    "The engine reads: P15WD (15 working days), P2WDT4H, P3D, PT2H, 2026-12-01T09:00:00+08:00, R3/P1D, or ${variable}.":
        "引擎支持：P15WD（15 个工作日）、P2WDT4H、P3D、PT2H、2026-12-01T09:00:00+08:00、R3/P1D，或 ${变量}。",
    "Condition type \"Expression\": a Python expression such as grade == 'red', or ${grade == 'red'} "
    "(&&, ||, !, empty). Every exclusive gateway needs a default flow.":
        "条件类型选“表达式”：可写 Python 表达式如 grade == 'red'，或 ${grade == 'red'}（支持 &&、||、!、empty）。"
        "每个排他网关都需要一条默认流。",
    # issue 15: what runs (implementations, messages, signals, call activities) and the problems on elements
    "Notes (they do not hold up a deploy)": "提示（不影响部署）",
    "A service task needs an implementation here: choose External and give a topic.":
        "服务任务必须设置实现方式：请选择“外部”并填写主题。",
    "Only External runs here: the task waits until a worker fetches it by its topic and completes it.":
        "本系统只运行“外部”实现：任务等待外部工作程序按主题领取并完成。",
    "None: the task sends the message chosen below to the instance waiting for it. External: a worker does the sending.":
        "无：任务把下方选择的消息发送给正在等待它的流程实例。外部：由外部工作程序负责发送。",
    "{type} cannot run here: choose External and give a topic.": "“{type}”无法在本系统运行：请选择“外部”并填写主题。",
    "{type} (cannot run here)": "{type}（无法运行）",
    "None: send the message chosen below": "无：发送下方选择的消息",
    "Workers fetch the tasks of a topic, e.g. lead-push, through /engine-rest/external-task/fetchAndLock.":
        "外部工作程序通过 /engine-rest/external-task/fetchAndLock 按主题领取任务，例如 lead-push。",
    "Give a topic: workers fetch tasks by topic.": "请填写主题：外部工作程序按主题领取任务。",
    "Messages are matched by name: another process sends it (a send task or a message throw event), or another "
    "system through POST /engine-rest/message with this name.":
        "消息按名称匹配：由其他流程发送（发送任务或消息抛出事件），或由其他系统以此名称调用 POST /engine-rest/message 投递。",
    "The message goes to the instance waiting for a message of this name (one with the same business key first), "
    "or starts the process whose start event waits for it.":
        "消息投递给正在等待同名消息的流程实例（优先业务键相同者），或启动以该消息开始的流程。",
    "A signal reaches every instance waiting for a signal of this name and starts every process whose start event "
    "waits for it; another system sends one through POST /engine-rest/signal.":
        "信号送达所有等待同名信号的流程实例，并启动所有以该信号开始的流程；其他系统可通过 POST /engine-rest/signal 发送。",
    "Process to call (its id)": "被调用流程（流程 ID）",
    "The id of the process, not its name; or pick a deployed one below.": "填写流程 ID（不是名称），或在下方选择已部署的流程。",
    "Give the id of the process to call.": "请填写要调用的流程 ID。",
    "Deployed processes": "已部署的流程",
    "— choose —": "— 请选择 —",
    "{name} ({process}, in this file)": "{name}（{process}，本文件中）",
    "latest: the newest version deployed when the call starts": "latest：调用时已部署的最新版本",
    "deployment: the version deployed from this same file": "deployment：与本文件一同部署的版本",
    "version: a fixed version": "version：指定版本",
    "Deployed versions of {process}: {versions}.": "{process} 已部署的版本：{versions}。",
    "{process} is not deployed yet.": "{process} 尚未部署。",
    "A version number, e.g. 2.": "请填写版本号，例如 2。",
    "The called process runs as an instance of its own; the call activity waits until it completes. In mappings "
    "pass variables to it (or all of them), out mappings bring them back. A process that is not deployed: an "
    "incident until it is.":
        "被调用流程作为独立的流程实例运行，调用活动等待其结束。输入映射把变量（或全部变量）传给它，输出映射把变量带回。"
        "被调用流程未部署时将产生异常，部署后可重试。",
    "Problems found by the last check": "最近一次校验发现的问题",
    # issue 16: business rule tasks evaluate deployed decisions (DMN)
    "DMN: the task evaluates a deployed decision table on the instance variables and puts the result into the result variable. External: a worker fetches the task by its topic and completes it.":
        "决策表（DMN）：任务用流程实例变量对已部署的决策表求值，结果存入结果变量。外部：由外部工作程序按主题领取任务并完成。",
    "A business rule task needs an implementation here: choose DMN and a decision, or External and a topic.":
        "业务规则任务必须设置实现方式：请选择“决策表（DMN）”并指定决策，或选择“外部”并填写主题。",
    "Decision":
        "决策",
    "Deployed versions: {versions}.":
        "已部署的版本：{versions}。",
    "No decision is deployed yet: type the key of the one to deploy below.":
        "尚未部署任何决策：请在下方填写将要部署的决策键。",
    "Decision key":
        "决策键",
    "The key (id) of the decision, not its name; or pick a deployed one above. One not deployed yet: an instance that gets here stops with an incident until it is.":
        "填写决策键（决策 ID，不是名称），或在上方选择已部署的决策。决策尚未部署时，实例运行到此处将产生异常并停下，直到该决策部署。",
    "Give the key of the decision.":
        "请填写决策键。",
    "Latest version":
        "最新版本",
    "Same deployment":
        "同一部署",
    "A fixed version":
        "指定版本",
    "Latest version: the newest one when the task runs. Same deployment: the one deployed together with this process through the API (the modeler deploys the diagram alone). A fixed version: give its number.":
        "最新版本：任务运行时已部署的最新版本。同一部署：通过 API 与本流程一起部署的版本（建模器只部署流程图本身）。指定版本：请填写版本号。",
    "The instance variable that receives the result, e.g. grade; without one the result is dropped.":
        "接收结果的流程实例变量，例如 grade；不填写时决策结果将被丢弃。",
    "Result mapping":
        "结果映射",
    "Result list":
        "结果列表",
    "Single result":
        "单条结果",
    "Single value":
        "单个值",
    "List of values":
        "值列表",
    "Result list: every matched rule with all its outputs. Single result: the one matched rule with all its outputs. Single value: the one output of the one matched rule. List of values: the one output of every matched rule. A single result or value with several matches is an incident.":
        "结果列表：每条命中规则及其全部输出。单条结果：唯一命中规则的全部输出。单个值：唯一命中规则的唯一输出。值列表：每条命中规则的唯一输出。选择单条结果或单个值时命中多条规则将产生异常。",
}
