"""The channel choice page's strings: English msgid -> Chinese. Regenerate the catalog with

    .venv/bin/python web/translations/make_catalog.py notify web/translations/notify/strings_zh.py
"""
ZH = {
    "How I am notified": "消息接收设置",
    "Choose, for each kind of message, where it reaches you. The in-app inbox always receives "
    "everything; only channels configured on this server are listed.":
        "请按消息类型选择接收渠道。站内消息始终接收全部消息；仅列出本系统已配置的渠道。",
    "Saved.": "已保存。",
    "Kind of message": "消息类型",
    "New task": "新待办",
    "Reminder before the deadline": "到期前催办",
    "Task overdue": "任务逾期",
    "Escalation (yellow or red card)": "逐级督办（黄牌、红牌）",
    "Supervised handling started": "挂牌督办",
    "Accountability opened": "启动问责",
    "In the app": "站内消息",
    "E-mail": "电子邮件",
    "Webhook": "Webhook",
    "WeCom": "企业微信",
    "SMS": "短信",
    "Save": "保存",
    "Where messages reach me": "接收账号",
    "WeCom account (UserID)": "企业微信账号（UserID）",
    "As shown in WeCom under My profile; application messages go to this account.":
        "即企业微信“我的”页面所示账号；应用消息将发送到该账号。",
    "Mobile number for SMS": "接收短信的手机号码",
    "WeCom account: 1-64 letters, digits or _ - @ .": "企业微信账号须为1至64位字母、数字或 _ - @ . 字符。",
    "Mobile number: 11 digits starting with 1.": "手机号码须为以1开头的11位数字。",
}
