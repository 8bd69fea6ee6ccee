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
                               "urge_refunds", "transfer_department", "transfer_police")
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
