"""Chinese for the working-day calendar page (web/admin_calendar.py, web/templates/admin/calendar.html,
web/templates/admin/_calendar_banner.html) and the schedule's line problems (domain/calendar_text.py).

    .venv/bin/python web/translations/make_catalog.py calendar web/translations/calendar/strings_zh.py
"""
ZH = {
    # sources of a year's calendar
    "Local adjustment": "本地调整",
    "State Council schedule (entered)": "国务院放假安排（管理员录入）",
    "chinesecalendar library": "chinesecalendar 节假日库",
    "holidays library (no make-up working days)": "holidays 节假日库（无调休上班日）",
    "Monday to Friday only (no holiday data)": "仅按周一至周五（无节假日数据）",
    "State Council schedule": "国务院放假安排",
    "holidays library": "holidays 节假日库",
    "For example:": "例如：",
    "a former user": "已停用的用户",
    # saving
    "Someone else saved this year's schedule at the same time; check it and save again.":
        "其他管理员同时保存了本年度的放假安排，请核对后重新保存。",
    "The working-day calendar of %(year)s is saved and confirmed.": "%(year)s 年工作日历已保存并确认。",
    "The working-day calendar of %(year)s is saved.": "%(year)s 年工作日历已保存。",
    "Nothing was saved: correct these lines.": "未保存：请改正以下各行。",
    # the page
    "Working-day calendar": "工作日历",
    "Deadlines in %(year)s count working days from:": "%(year)s 年的期限按以下来源计算工作日：",
    "This source knows no make-up working weekends (调休): enter the State Council's schedule below.":
        "此来源没有调休上班日：请在下方录入国务院办公厅公布的放假安排。",
    "Schedule entered by %(name)s on %(when)s.": "放假安排由 %(name)s 于 %(when)s 录入。",
    "Confirmed by %(name)s on %(when)s.": "已由 %(name)s 于 %(when)s 确认。",
    "Not confirmed yet.": "尚未确认。",
    "Holidays and make-up working days": "节假日与调休上班日",
    "Weekday": "星期",
    "Holiday name": "节日名称",
    "Where it comes from": "来源",
    "Working day": "上班",
    "Holiday": "放假",
    "None: Monday to Friday are working days.": "无：周一至周五为工作日。",
    "The State Council's schedule for %(year)s": "国务院办公厅 %(year)s 年放假安排",
    "One date or range per line, whether it is a holiday (休) or a working day (班), and a name. An entered "
    "schedule replaces the libraries for the whole year; leave it empty to use the libraries.":
        "每行一个日期或日期范围，注明放假（休）或上班（班），以及名称。录入的安排将取代该年度的节假日库数据；"
        "留空则使用节假日库。",
    "Start from the days shown above": "以上方所列日期为起点",
    "Confirmed: the calendar of %(year)s matches the State Council's published notice.":
        "已确认：%(year)s 年工作日历与国务院办公厅公布的通知一致。",
    "Save the schedule": "保存放假安排",
    # the banner
    "The working-day calendar of %(year)s is not confirmed yet: deadlines reaching into it may count holidays "
    "as working days.": "%(year)s 年工作日历尚未确认：跨入该年的期限可能把节假日算作工作日。",
    "Enter and confirm the State Council's schedule": "录入并确认国务院放假安排",
    # problems of the pasted lines (domain/calendar_text.py)
    "The schedule is longer than %(limit)s characters.": "放假安排超过 %(limit)s 个字符。",
    'Line %(line_number)s ("%(line)s"): it does not start with a date such as %(example)s.':
        "第 %(line_number)s 行（“%(line)s”）：应以日期开头，例如 %(example)s。",
    'Line %(line_number)s ("%(line)s"): there is no such date.': "第 %(line_number)s 行（“%(line)s”）：日期不存在。",
    'Line %(line_number)s ("%(line)s"): the date is not in %(year)s.':
        "第 %(line_number)s 行（“%(line)s”）：日期不在 %(year)s 年内。",
    'Line %(line_number)s ("%(line)s"): the range ends before it starts.':
        "第 %(line_number)s 行（“%(line)s”）：日期范围的结束早于开始。",
    'Line %(line_number)s ("%(line)s"): a range may cover at most %(limit)s days.':
        "第 %(line_number)s 行（“%(line)s”）：日期范围最多 %(limit)s 天。",
    'Line %(line_number)s ("%(line)s"): say once whether the day is a holiday (休) or a working day (班).':
        "第 %(line_number)s 行（“%(line)s”）：请注明一次放假（休）或上班（班）。",
    'Line %(line_number)s ("%(line)s"): the name is longer than %(limit)s characters.':
        "第 %(line_number)s 行（“%(line)s”）：名称超过 %(limit)s 个字符。",
    'Line %(line_number)s ("%(line)s"): %(date)s is already on line %(other)s.':
        "第 %(line_number)s 行（“%(line)s”）：%(date)s 已在第 %(other)s 行列出。",
}
