"""Chinese for refused input: query parameters (web/params.py) and malformed requests (web/errors.py).

    .venv/bin/python web/translations/make_catalog.py inputs web/translations/inputs/strings_zh.py
"""
ZH = {
    "The parameter %(name)s must be a whole number from %(low)s to %(high)s.":
        "参数 %(name)s 必须是 %(low)s 至 %(high)s 之间的整数。",
    "The parameter %(name)s must be a date (YYYY-MM-DD) from %(low)s to %(high)s.":
        "参数 %(name)s 必须是 %(low)s 至 %(high)s 之间的日期（年-月-日）。",
    "The parameter %(name)s must not contain NUL characters.": "参数 %(name)s 不能包含空字符（NUL）。",
    "The request is malformed.": "请求格式有误，未能处理。",
}
