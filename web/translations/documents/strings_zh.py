"""The official documents' strings (web/documents.py, web/templates/documents/): English msgid -> Chinese.
Regenerate the catalog with

    .venv/bin/python web/translations/make_catalog.py documents web/translations/documents/strings_zh.py
"""
ZH = {
    # the case page's section
    "Official documents": "公文",
    "Document number": "文号",
    "Document": "文书",
    "Addressed to": "主送",
    "Issued": "开具",
    "Print": "打印",
    "No document issued yet.": "尚未开具文书。",
    "Issue a document": "开具文书",
    "Issue %(kind)s": "开具%(kind)s",
    "Your unit has no document abbreviation configured, so it cannot issue documents.":
        "本单位未配置机关代字，暂不能开具文书。",
    "No document can be issued in the case's present state.": "本案当前状态下无可开具的文书。",
    "Documents are numbered and issued as %(issuer)s (%(abbreviation)s); once issued they are never changed.":
        "文书以%(issuer)s名义开具并编号（机关代字：%(abbreviation)s），开具后不可更改。",
    # issuing
    "%(kind)s %(number)s issued.": "已开具%(kind)s%(number)s。",
    "Nothing was issued: correct the fields named below.": "文书未开具：请修正下列内容。",
    "Back to the case": "返回案件",
    "The document template is missing or broken; nothing was issued. Ask an administrator.":
        "文书模板缺失或有误，文书未开具。请联系系统管理员。",
}
