"""Chinese for the administration pages (web/admin.py, web/templates/admin/ except modeler.html).

    .venv/bin/python web/translations/make_catalog.py admin web/translations/admin/strings_zh.py
"""
ZH = {
    # errors and JSON messages
    "The upload is larger than %(mb)s MB.": "上传内容超过 %(mb)s MB。",
    "Only an administrator may do this.": "只有系统管理员可以执行此操作。",
    "The security token is missing or expired; reload the page.": "安全令牌缺失或已过期，请刷新页面。",
    "Sign in first.": "请先登录。",
    'Send JSON like {"xml": "<bpmn:definitions …>"}.': '请发送 JSON，例如 {"xml": "<bpmn:definitions …>"}。',
    "Not deployed: fix the errors first.": "未部署：请先改正错误。",
    "Not deployed: accept the warnings to deploy anyway.": "未部署：确认接受警告后才能部署。",
    'The value is not valid JSON (text needs quotes: "text").': '值不是有效的 JSON（文字需加引号，如 "文字"）。',
    # lint messages (engine.lint.MESSAGES)
    "user task has no candidate groups, candidate users or assignee "
    "(camunda:candidateGroups / camunda:candidateUsers / camunda:assignee)":
        "用户任务没有设置候选组、候选人或办理人（camunda:candidateGroups / camunda:candidateUsers / camunda:assignee）",
    "user task has no due date (camunda:dueDate, e.g. P5WD)": "用户任务没有设置期限（camunda:dueDate，例如 P5WD）",
    "candidate group {group!r} is not a known unit code or role": "候选组“{group}”不是已知的单位代码或角色",
    "lane {group!r} is used as the candidate group but is not a known unit code or role":
        "泳道“{group}”被用作候选组，但不是已知的单位代码或角色",
    "event-based gateway waits on {count} timers ({timers}); SpiffWorkflow 3.2 supports at most one timer per "
    "event-based gateway": "事件网关等待 {count} 个定时器（{timers}）；SpiffWorkflow 3.2 每个事件网关最多支持一个定时器",
    "{kind} has no start event": "{kind}没有开始事件",
    "element is not reachable from a start event": "从开始事件无法到达此元素",
    "no path from this element reaches an end event": "从此元素出发没有路径到达结束事件",
    "exclusive gateway has no default flow; an instance stops with an error when no condition is true":
        "排他网关没有默认流；没有条件成立时流程实例将出错停止",
    "user task has no form key (camunda:formKey); officers would get an empty form":
        "用户任务没有设置表单（camunda:formKey）；经办人将看到空表单",
    "form {key!r} does not exist (processes/forms/{key}.json)": "表单“{key}”不存在（processes/forms/{key}.json）",
    "user task has no name; inboxes would show its id": "用户任务没有名称；待办列表将显示其 ID",
    # what the engine refuses, and what could never complete (engine.lint.MESSAGES, issue 15)
    "uses camunda:{attribute} (Java code), which cannot run here: set the implementation to External with a topic; "
    "a worker does the work through the external task API":
        "使用了 camunda:{attribute}（Java 代码），本系统无法运行：请把实现方式设为“外部”并填写主题，由外部工作程序通过外部任务接口完成",
    "uses a Camunda connector, which cannot run here: set the implementation to External with a topic":
        "使用了 Camunda 连接器（connector），本系统无法运行：请把实现方式设为“外部”并填写主题",
    'service task has no implementation: set it to External with a topic (camunda:type="external", camunda:topic)':
        '服务任务没有设置实现方式：请设为“外部”并填写主题（camunda:type="external"、camunda:topic）',
    "camunda:type is {type!r}; only 'external' runs here": "camunda:type 为“{type}”；本系统只能运行“external”（外部）",
    "the implementation is External but has no topic (camunda:topic); workers fetch tasks by topic":
        "实现方式为“外部”，但没有填写主题（camunda:topic）；外部工作程序按主题领取任务",
    "send task has no message and no implementation: choose a message to send, or set the implementation to "
    "External with a topic": "发送任务既没有消息也没有实现方式：请选择要发送的消息，或把实现方式设为“外部”并填写主题",
    "business rule task names no decision (camunda:decisionRef) and has no implementation: choose a decision "
    "(DMN), or set the implementation to External with a topic":
        "业务规则任务没有指定决策（camunda:decisionRef），也没有实现方式：请选择决策表（DMN），或把实现方式设为“外部”并填写主题",
    'script format {format!r} cannot run here: only Python scripts run here (scriptFormat="python")':
        '脚本格式“{format}”无法运行：本系统只运行 Python 脚本（scriptFormat="python"）',
    "the script is stored outside the BPMN file (camunda:resource={resource!r}), which cannot run here: write the "
    "Python script into the task": "脚本存放在 BPMN 文件之外（camunda:resource=“{resource}”），无法运行：请把 Python 脚本写在任务中",
    "call activity names no process to call (calledElement)": "调用活动没有指定要调用的流程（calledElement）",
    "call activity calls a CMMN case (camunda:caseRef); only processes can be called here":
        "调用活动调用的是 CMMN 案例（camunda:caseRef）；本系统只能调用流程",
    "camunda:calledElementBinding {binding!r} is not supported here; use latest, deployment or version":
        "不支持 camunda:calledElementBinding“{binding}”；请使用 latest、deployment 或 version",
    "binding is 'version' but camunda:calledElementVersion {version!r} is not a version number":
        "绑定方式为“version”，但 camunda:calledElementVersion“{version}”不是版本号",
    'camunda:{tag} needs a source (or source expression) and a target, or variables="all"':
        'camunda:{tag} 需要来源（或来源表达式）和目标，或 variables="all"',
    "no message is chosen (messageRef): choose or create a message with a name":
        "没有选择消息（messageRef）：请选择或新建一个有名称的消息",
    "message {ref!r} is not defined in this file": "消息“{ref}”未在本文件中定义",
    "message {ref!r} has no name; messages are matched by name": "消息“{ref}”没有名称；消息按名称匹配",
    "no signal is chosen (signalRef): choose or create a signal with a name":
        "没有选择信号（signalRef）：请选择或新建一个有名称的信号",
    "signal {ref!r} is not defined in this file": "信号“{ref}”未在本文件中定义",
    "signal {ref!r} has no name; signals are matched by name": "信号“{ref}”没有名称；信号按名称匹配",
    "the implementation of this message event (camunda:{attribute}) is ignored here: the event itself sends its "
    "message": "此消息事件的实现方式（camunda:{attribute}）将被忽略：由事件本身发送消息",
    "camunda:{attribute} (Java) is ignored here: pass variables with in and out mappings":
        "camunda:{attribute}（Java）将被忽略：请用输入、输出映射传递变量",
    "camunda:errorEventDefinition is ignored here: a worker reports a BPMN error itself "
    "(POST /engine-rest/external-task/<id>/bpmnError)":
        "camunda:errorEventDefinition 将被忽略：由外部工作程序自行报告 BPMN 错误（POST /engine-rest/external-task/<id>/bpmnError）",
    "binding is 'deployment' but process {process!r} is not in this file: the call would never find it "
    "(deployment calls the version deployed from the same file)":
        "绑定方式为“deployment”，但流程“{process}”不在本文件中：调用永远找不到它（deployment 调用同一文件部署的版本）",
    "calls process {process!r}, which is neither in this file nor deployed: an instance that gets here stops with "
    "an incident until it is deployed": "调用的流程“{process}”既不在本文件中也未部署：实例运行到此处将产生异常并停下，直到该流程部署",
    "calls version {version} of process {process!r}, which is not deployed: an instance that gets here stops with "
    "an incident until it is": "调用流程“{process}”的版本 {version}，该版本未部署：实例运行到此处将产生异常并停下，直到该版本部署",
    "no process in this file or deployed sends message {name!r}: only another system can deliver it, through "
    "POST /engine-rest/message": "本文件和已部署的流程都不发送消息“{name}”：只能由其他系统通过 POST /engine-rest/message 投递",
    "no process in this file or deployed throws signal {name!r}: only POST /engine-rest/signal can send it":
        "本文件和已部署的流程都不抛出信号“{name}”：只能通过 POST /engine-rest/signal 发送",
    # business rule tasks evaluating decisions (engine.lint.MESSAGES, issue 16)
    "camunda:decisionRefBinding {binding!r} is not supported here; use latest, deployment or version":
        "不支持 camunda:decisionRefBinding“{binding}”；请使用 latest、deployment 或 version",
    "binding is 'version' but camunda:decisionRefVersion {version!r} is not a version number":
        "绑定方式为“version”，但 camunda:decisionRefVersion“{version}”不是版本号",
    "camunda:mapDecisionResult {mapping!r} is not supported here; use resultList, singleResult, singleEntry or "
    "collectEntries":
        "不支持 camunda:mapDecisionResult“{mapping}”；请使用 resultList、singleResult、singleEntry 或 collectEntries",
    "the decision reference {expression!r} cannot be evaluated here: {reason}":
        "决策引用“{expression}”无法在本系统求值：{reason}",
    "business rule task has no result variable (camunda:resultVariable): as in Camunda, the decision's result is "
    "dropped": "业务规则任务没有设置结果变量（camunda:resultVariable）：与 Camunda 相同，决策结果将被丢弃",
    "binding is 'deployment': decision {decision!r} must be deployed together with this process, in one "
    "deployment through the API; deployed from the modeler alone, an instance that gets here stops with an "
    "incident":
        "绑定方式为“deployment”：决策“{decision}”必须通过 API 与本流程在同一次部署中一起部署；"
        "仅从建模器部署时，实例运行到此处将产生异常并停下",
    "evaluates decision {decision!r}, which is not deployed: an instance that gets here stops with an incident "
    "until it is deployed": "使用的决策“{decision}”未部署：实例运行到此处将产生异常并停下，直到该决策部署",
    "evaluates version {version} of decision {decision!r}, which is not deployed: an instance that gets here "
    "stops with an incident until it is": "使用决策“{decision}”的版本 {version}，该版本未部署：实例运行到此处将产生异常并停下，直到该版本部署",
    "DOCTYPE declarations are not allowed in BPMN files (entity expansion and external entities are refused)":
        "BPMN 文件中不允许 DOCTYPE 声明（拒绝实体扩展和外部实体）",
    # flashes
    "Version %(v)s cannot be deployed again:": "版本 %(v)s 无法重新部署：",
    "Version %(old)s was deployed again as version %(new)s.": "版本 %(old)s 已重新部署为版本 %(new)s。",
    "%(moved)s instance(s) moved to version %(v)s; %(left)s could not move.":
        "%(moved)s 个实例已迁移到版本 %(v)s；%(left)s 个无法迁移。",
    "The instance is suspended.": "流程实例已暂停。",
    "The instance runs again.": "流程实例已恢复运行。",
    "The instance is cancelled.": "流程实例已取消。",
    "The failed step was run again.": "已重新执行失败的步骤。",
    "Variable %(name)s saved.": "已保存变量 %(name)s。",
    # the new-process template
    "New process": "新建流程",
    "Handle the matter": "办理事项",
    "Start": "开始",
    "End": "结束",
    # statuses
    "Running": "运行中",
    "Suspended": "已暂停",
    "In error": "出错",
    "Finished": "已完成",
    "Cancelled": "已取消",
    # forms and operations
    "Reason": "事由",
    'Optionally correct one variable first (value as JSON: 10, "text", true, {"a": 1}).':
        '可先更正一个变量（值用 JSON 表示：10、"文字"、true、{"a": 1}）。',
    "Variable": "变量",
    "New value (JSON)": "新值（JSON）",
    "What was fixed": "修正了什么",
    "Retry": "重试",
    "Suspend": "暂停",
    "Resume": "恢复",
    "Cancel the instance": "取消实例",
    # navigation and pages
    "Administration": "系统管理",
    "Processes": "流程",
    "Instances": "流程实例",
    "Incidents": "异常",
    "Changes": "变更",
    "Older version": "旧版本",
    "Newer version": "新版本",
    "Show changes": "查看变更",
    "Versions": "版本",
    "The two versions are the same.": "两个版本相同。",
    "The diagram layout changed.": "流程图布局有变化。",
    "Added": "新增",
    "Removed": "删除",
    "Changed": "修改",
    "Element": "元素",
    "What": "内容",
    "Instances stopped by a failed script or an uncaught BPMN error. Fix the cause (a variable, a service, a new "
    "process version), then run the failed step again; or cancel the instance.":
        "因脚本失败或未捕获的 BPMN 错误而停止的流程实例。先排除原因（变量、服务或新的流程版本），再重新执行失败的步骤；或者取消该实例。",
    "When": "时间",
    "Instance": "实例",
    "Kind": "类型",
    "Error message": "错误信息",
    "Script failed": "脚本失败",
    "Uncaught BPMN error": "未捕获的 BPMN 错误",
    "Timer failed": "定时器失败",
    "External task failed": "外部任务失败",
    "Called process could not start": "被调用流程无法启动",
    "Decision table could not decide": "决策表无法判定",
    "No open incidents.": "没有未处理的异常。",
    "Recently resolved": "最近处理",
    "Deployed processes and their versions: download, compare, roll back, move instances to a newer version.":
        "已部署的流程及其版本：下载、比较、回滚，把流程实例迁移到新版本。",
    "Draw a process in the modeler; it is checked before it is deployed.": "在建模器中绘制流程；部署前会自动校验。",
    "Suspend, resume, cancel instances and edit their variables.": "暂停、恢复、取消流程实例，修改流程变量。",
    "Instances stopped by a failed script or an uncaught BPMN error.": "因脚本失败或未捕获的 BPMN 错误而停止的流程实例。",
    "Started": "发起",
    "Ended": "结束于",
    "Variables": "流程变量",
    "No variables.": "没有变量。",
    "Edit a variable": "修改变量",
    "Save the variable": "保存变量",
    "Tasks": "任务",
    "Task": "任务",
    "Status": "状态",
    "Handled by": "办理人",
    "Due": "办理期限",
    "No tasks.": "没有任务。",
    "Timers": "定时器",
    "Fired": "触发时间",
    "Audit trail": "操作记录",
    "Who": "操作人",
    "Data": "数据",
    "Process": "流程",
    "All processes": "全部流程",
    "All statuses": "全部状态",
    "Filter": "筛选",
    "Open tasks": "在办任务",
    "Updated": "更新时间",
    "No instances.": "没有流程实例。",
    "Move instances": "迁移流程实例",
    "From version": "从版本",
    "To version": "到版本",
    "Dry run": "试运行",
    "An instance can move when every step it is at, or has passed through, still exists in the newer version. "
    "Open tasks keep their assignee and due time; waiting timers keep their due time unless their definition "
    "changed.": "流程实例当前所在及已经过的每个步骤在新版本中都存在时才能迁移。待办任务保留办理人和期限；"
                "等待中的定时器保留到期时间，除非其定义有变化。",
    "%(n)s can move": "%(n)s 个可迁移",
    "%(n)s cannot": "%(n)s 个不可迁移",
    "Current steps": "当前步骤",
    "Can move": "可迁移",
    "Why not / notes": "原因 / 说明",
    "Yes": "是",
    "No": "否",
    "No running, suspended or failed instance is on v%(v)s.": "版本 v%(v)s 上没有运行中、已暂停或出错的流程实例。",
    "Move %(n)s instance(s) to v%(v)s": "将 %(n)s 个实例迁移到 v%(v)s",
    "The modeler is not installed yet. Download the BPMN file, edit it in Camunda Modeler, and deploy it with the "
    "deploy-processes command.": "建模器尚未安装。请下载 BPMN 文件，用 Camunda Modeler 编辑后通过 deploy-processes 命令部署。",
    "Download": "下载",
    "Latest version": "最新版本",
    "%(n)s versions": "共 %(n)s 个版本",
    "Edit in the modeler": "在建模器中编辑",
    "No process is deployed.": "尚未部署任何流程。",
    "Edit the latest version in the modeler": "在建模器中编辑最新版本",
    "Version": "版本",
    "Deployed by": "部署人",
    "Version comment": "版本说明",
    "Actions": "操作",
    "latest": "最新",
    "Open in the modeler": "在建模器中打开",
    "Changes from v%(v)s": "相对 v%(v)s 的变更",
    "Move instances to v%(v)s": "迁移实例到 v%(v)s",
    "Roll back to this version": "回滚到此版本",
    "Deploy v%(v)s again": "重新部署 v%(v)s",
    "Why roll back": "回滚理由",
    "Its XML becomes a new version; running instances stay where they are.": "其 XML 将成为新版本；运行中的实例保持不变。",
    "Compare": "比较",
    "Deployed at": "部署时间",
    # migration (engine.admin_ops.MIGRATION_MESSAGES)
    "its current step {step} does not exist in v{version}": "当前步骤 {step} 在 v{version} 中不存在",
    "step {step}, which it has passed through, does not exist in v{version} (its history could not be kept)":
        "已经过的步骤 {step} 在 v{version} 中不存在（其办理记录无法保留）",
    "subprocess {name} does not exist in v{version}": "子流程 {name} 在 v{version} 中不存在",
    "step {step} could not be aligned with v{version}": "步骤 {step} 无法与 v{version} 对应",
    "its state does not load against v{version}": "其运行状态无法按 v{version} 加载",
    "its state does not load against v{version}: {error}": "其运行状态无法按 v{version} 加载：{error}",
    "its steps could not be aligned with v{version}: {error}": "其步骤无法与 v{version} 对应：{error}",
    "it is in error: retry or cancel it first": "实例出错：请先重试或取消",
    "it changed since the dry run": "试运行之后实例已有变化",
    "step {step} changed in v{version}; its open task keeps its assignee, candidates and due time":
        "步骤 {step} 在 v{version} 中有修改；其待办任务保留原办理人、候选人和期限",
    "the timer or event {step} changed in v{version}; it starts again from now":
        "定时器或事件 {step} 在 v{version} 中有修改；将从现在起重新计时",
    # BPMN element types
    "User task": "用户任务",
    "Script task": "脚本任务",
    "Service task": "服务任务",
    "Manual task": "人工任务",
    "Send task": "发送任务",
    "Receive task": "接收任务",
    "Business rule task": "业务规则任务",
    "Call activity": "调用活动",
    "Subprocess": "子流程",
    "Sequence flow": "顺序流",
    "Exclusive gateway": "排他网关",
    "Parallel gateway": "并行网关",
    "Inclusive gateway": "包容网关",
    "Event-based gateway": "事件网关",
    "Start event": "开始事件",
    "End event": "结束事件",
    "Boundary event": "边界事件",
    "Intermediate catch event": "中间捕获事件",
    "Intermediate throw event": "中间抛出事件",
    "Lane": "泳道",
    "Error": "错误定义",
    "Message definition": "消息定义",
    "Signal": "信号定义",
    "Escalation definition": "升级定义",
    "Completed at": "办结时间",
    "in hand": "在办",
    "finished": "已办结",
    "waiting": "等待中",
    "fired": "已触发",
    "parked": "已暂停",
}
