"""The case file's strings (step records, records, the 流转意见 chain, next-step navigation).
Regenerate the catalog with

    .venv/bin/python web/translations/make_catalog.py casefile web/translations/casefile/strings_zh.py
"""
ZH = {
    "Open the record": "查看处理单",
    "Handling opinion": "办理意见",
    "Everything submitted at this step": "本环节填报的全部内容",
    "Earlier steps of the case": "前序环节办理意见",
    "How this step was handled": "本环节办理情况",
    "Handling record": "流转意见",
    "No step has been handled yet.": "尚无办理记录。",
    "Task completed: 「%(step)s」 of %(case)s. Next step for you: 「%(next)s」.":
        "任务已办理完成：%(case)s「%(step)s」。下一步由您办理：「%(next)s」。",
    "Register and triage it now": "登记并立即研判分流",
    "Task completed: 「%(step)s」 of %(case)s.": "任务已办理完成：%(case)s「%(step)s」。",
}
