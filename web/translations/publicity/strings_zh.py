"""Chinese strings of the publicity area (web/publicity; msgctxt "publicity", see web.publicity.t),
and the few plain msgids it adds (the navigation, the photo upload check in web/uploads.py).

    .venv/bin/python web/translations/make_catalog.py publicity web/translations/publicity/strings_zh.py
"""
CONTEXT = "publicity"

ZH = {
    "Publicity activities": "宣传活动",
    "All publicity activities": "全部宣传活动",
    "Record a publicity activity": "记录宣传活动",
    "Change a publicity activity": "修改宣传活动",
    "Record a door-to-door visit": "记录入户走访",
    "My records": "我的记录",
    "Export (Excel)": "导出Excel",
    "Filter": "筛选",
    "From": "起始日期",
    "to": "至",
    "To": "截止日期",
    "Show": "查询",
    "All units": "全部单位",
    "All places": "全部地点",
    "Elsewhere": "其他地点",
    "Elsewhere (give the place)": "其他地点（请填写活动地点）",
    "All forms": "全部形式",
    "Nothing here.": "暂无数据。",
    "Nothing recorded yet.": "还没有记录。",
    "Nothing was saved: correct the fields marked below.": "未保存：请更正下列标出的内容。",
    "— choose —": "— 请选择 —",
    "E.g. the square, the market, the bank hall.": "如：文化广场、农贸市场、银行营业厅。",
    "Boards and banners: pieces; messages and media works: items; door-to-door: households; exposed cases: cases. "
    "Not for lectures and leaflets.":
        "展板/横幅按块、短信/推送和媒体作品按条、入户走访按户、典型案例按起计数；讲座和发放资料不填。",
    "Add photos": "添加照片",
    "Remove": "删除",
    "JPG or PNG, at most %(n)s photos.": "JPG或PNG格式，最多%(n)s张。",
    "Take them with the camera; JPG or PNG, at most %(n)s photos.": "可直接用手机拍照；JPG或PNG格式，最多%(n)s张。",
    "At most %(n)s photos per activity.": "每次活动最多上传%(n)s张照片。",
    "Save": "保存",
    "Cancel": "取消",
    "Change": "修改",
    "Delete": "删除",
    "Last changed": "最后修改",
    "No photos.": "暂无照片。",
    "Where (street, building)": "走访地点（街巷、楼栋）",
    "Households visited": "走访户数（户）",
    "Leaflets handed out": "发放资料（份）",
    "Notes": "备注",
    "%(n)s households": "%(n)s户",
    "%(n)s people": "%(n)s人次",
    "%(n)s leaflets": "%(n)s份资料",
    "%(n)s photos": "%(n)s张照片",
    "Publicity activity recorded.": "宣传活动已记录。",
    "Publicity activity saved.": "宣传活动已保存。",
    "Publicity activity deleted.": "宣传活动已删除。",
    "Door-to-door visit recorded.": "入户走访已记录。",
    # the dashboard's publicity section (web/templates/dashboard/_publicity.html)
    "Publicity": "宣传发动",
    "By unit": "按单位",
    "By community": "按社区/村",
    "By form": "按宣传形式",
    "By campaign phase": "按行动阶段",
    "Total": "合计",
    "Activities held in the date range, as their units recorded them; the numbers open the list of them.":
        "统计期间内各单位记录的宣传活动；点击数字查看活动清单。",
}

# Plain msgids (no context): the navigation and web/uploads.py.
PLAIN = {
    "Publicity": "宣传活动",
    "Door-to-door visits": "入户走访",
    "%(name)s: only photos can be added here (JPG, PNG).": "%(name)s：此处只能上传照片（JPG、PNG）。",
}
