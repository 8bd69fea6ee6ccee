"""Codes carry Chinese and English labels."""
from domain import labels


def test_every_code_has_chinese_and_english_labels():
    for name, vocabulary in labels.VOCABULARIES.items():
        for code, text in vocabulary.items():
            assert text["zh"] and text["en"], (name, code)
            assert code.isidentifier(), (name, code)


def test_campaign_vocabularies_are_complete():
    assert len(labels.SECTORS) == 8
    assert len(labels.CHANNELS) == 10
    assert labels.MEASURES == ("risk_warning", "warning_interview", "suspension", "order_rectify",
                               "urge_refunds", "transfer_department", "transfer_police", "case_filed")
    assert set(labels.SECTOR_UNIT) == set(labels.SECTORS)
    assert set(labels.SECTOR_UNIT.values()) <= set(labels.UNIT)


def test_label_lookup_and_fallbacks():
    assert labels.label("channel", "hotline_12345") == "12345政务服务热线"
    assert labels.label("grade", "red", "en_US") == "Red"
    assert labels.label("grade", "purple") == "purple"
    assert labels.label("grade", None) == ""
    assert labels.normalize_locale("zh-Hans") == "zh"
    assert labels.normalize_locale("fr") == "zh"
    assert labels.choices("result", "en")[0] == ("substantiated", "Substantiated")
    assert labels.options("result")[1] == {"value": "partly", "label": {"zh": "部分属实", "en": "Partly substantiated"}}


def test_every_measure_of_the_feedback_form_is_mapped_to_a_disposal_or_deliberately_not():
    """The options of 查办反馈's 办理措施 are exactly the table's keys; each maps to a disposal
    measure or to None (not a disposal of an institution)."""
    import json
    from pathlib import Path

    form = json.loads((Path(__file__).resolve().parents[1] / "processes" / "forms" / "lead" / "feedback.json")
                      .read_text(encoding="utf-8"))
    [handling] = [field for field in form["fields"] if field["id"] == "handling"]
    assert [option["value"] for option in handling["options"]] == list(labels.FEEDBACK_MEASURE)
    assert set(labels.FEEDBACK_MEASURE.values()) - {None} <= set(labels.MEASURES)
    assert {option for option, measure in labels.FEEDBACK_MEASURE.items() if measure is None} == {
        "mediation", "no_action"}
    # the disposal reads as the officer chose it
    for option in handling["options"]:
        measure = labels.FEEDBACK_MEASURE[option["value"]]
        if measure is not None and measure != "transfer_police":
            assert labels.MEASURE[measure] == option["label"], measure
