"""The grid workers' pages' strings: English msgid -> Chinese. Regenerate the catalog with

    .venv/bin/python web/translations/make_catalog.py grid web/translations/grid/strings_zh.py
"""
ZH = {
    "Report a lead": "上报线索",
    "My reports": "我的上报",
    "What you saw goes to the special office, which dispatches it to the unit in charge. You are protected "
    "as every reporter is: the units see your name and phone masked.":
        "上报内容将送专项办研判，由其分派责任单位办理。您与其他举报人一样受到保护：办理单位只能看到隐去部分信息的姓名和电话。",
    "What did you see?": "发现了什么情况？",
    "Who, doing what to elders: e.g. free eggs for attending a health talk, then selling supplements.":
        "谁、对老年人做了什么：例如以听健康讲座送鸡蛋为名推销保健品。",
    "Street and number, shop or building": "街道门牌、店铺或楼栋",
    "Institution or shop, if known": "涉及机构或店铺（如知道）",
    "Choose…": "请选择…",
    "Photos": "现场照片",
    "Take a photo": "拍照",
    "%(name)s is too large (at most %(limit)s).": "%(name)s 文件过大（每个文件不超过 %(limit)s）。",
    "The photos together are too large to send; send fewer.": "照片合计过大，无法发送，请减少照片数量。",
    "JPG or PNG, up to %(count)d photos, at most %(limit)s each.": "JPG 或 PNG，最多 %(count)d 张，每张不超过 %(limit)s。",
    "Send the report": "提交上报",
    "At most %(count)d photos.": "最多上传 %(count)d 张照片。",
    "Reported as lead %(number)s. The special office will handle it.": "已上报，线索编号 %(number)s，专项办将研判处理。",
    "You have not reported a lead yet.": "您还没有上报过线索。",
    "Lead number": "线索编号",
    "Reported": "上报时间",
    "Report %(number)s": "上报线索 %(number)s",
    "The special office closed it without dispatching it (a duplicate, or outside the campaign).":
        "专项办未予分派即已办结（重复线索或不属于本专项范围）。",
    "What you saw": "上报内容",
    "What the units find stays with them; you see where your report stands.":
        "办理单位的核查情况不对外公开，您可在此查看上报线索的办理进度。",
}
