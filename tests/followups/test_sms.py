"""SMS backends: shorthands like Django's email backends, files, console masking, and Aliyun's signature checked
against Aliyun's documented example (no network: the opener is a stub)."""

import io
import json
import urllib.parse
from datetime import date
from pathlib import Path

import pytest

from followups import sms

# Aliyun SMS documentation, 签名机制 (RPC signature v1), SendSms example.
DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOC_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
    "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF"
    "%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007"
    "%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z"
    "%26Version%3D2017-05-25"
)


def test_string_to_sign_matches_aliyuns_example():
    assert sms.string_to_sign(DOC_PARAMS) == DOC_STRING_TO_SIGN


def test_signature_matches_aliyuns_example():
    assert sms.aliyun_signature(DOC_PARAMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


@pytest.mark.parametrize(("raw", "encoded"), [("a b", "a%20b"), ("*", "%2A"), ("~", "~"), ("中", "%E4%B8%AD")])
def test_percent_encoding_follows_rfc3986(raw, encoded):
    assert sms.percent_encode(raw) == encoded


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def aliyun(answer: dict, calls: list):
    def opener(url, timeout):
        calls.append(url)
        return FakeResponse(json.dumps(answer).encode())

    return sms.AliyunBackend(access_key_id="testId", access_key_secret="testSecret", sign_name="某某汽车",
                             endpoint="https://dysmsapi.aliyuncs.com/", opener=opener)  # fmt: skip


def test_aliyun_send_puts_template_code_and_json_params_in_a_signed_request():
    calls = []
    backend = aliyun({"Code": "OK", "BizId": "900619746936498440^0", "Message": "OK"}, calls)
    message = sms.SmsMessage(phone="13812345678", body="…", template_code="SMS_1", params={"plate": "京A12345"},
                             reference="rd7")  # fmt: skip
    result = backend.send(message)
    assert result == sms.SendResult(ok=True, provider_id="900619746936498440^0")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(calls[0]).query))
    assert query["Action"] == "SendSms" and query["TemplateCode"] == "SMS_1" and query["OutId"] == "rd7"
    assert json.loads(query["TemplateParam"]) == {"plate": "京A12345"}
    signature = query.pop("Signature")
    assert signature == sms.aliyun_signature(query, "testSecret")


def test_aliyun_refusal_is_a_failure_with_the_code():
    result = aliyun({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}, []).send(
        sms.SmsMessage(phone="13812345678", body="x")
    )
    assert not result.ok and result.error.startswith("isv.BUSINESS_LIMIT_CONTROL")


def test_aliyun_timeout_raises_sms_timeout():
    def opener(url, timeout):
        raise TimeoutError("timed out")

    backend = sms.AliyunBackend(access_key_id="a", access_key_secret="b", sign_name="c", opener=opener)
    with pytest.raises(sms.SmsTimeout):
        backend.send(sms.SmsMessage(phone="13812345678", body="x"))


@pytest.mark.parametrize(
    ("details", "status"),
    [
        ([{"OutId": "rd7", "SendStatus": 3}], sms.SENT),
        ([{"OutId": "rd7", "SendStatus": 1}], sms.SENT),  # accepted, receipt pending
        ([{"OutId": "rd7", "SendStatus": 2}], sms.FAILED),
        ([{"OutId": "rd8", "SendStatus": 3}], sms.FAILED),  # only someone else's message that day
    ],
)
def test_aliyun_status_reconciles_by_our_reference(details, status):
    calls = []
    answer = {"Code": "OK", "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}}
    message = sms.SmsMessage(phone="13812345678", body="x", reference="rd7", day=date(2026, 6, 1))
    assert aliyun(answer, calls).status(message) == status
    assert "SendDate=20260601" in calls[0] and "Action=QuerySendDetails" in calls[0]


@pytest.mark.parametrize(
    ("setting", "backend"),
    [
        ("console", sms.ConsoleBackend),
        ("locmem", sms.LocmemBackend),
        ("filebased", sms.FileBasedBackend),
        ("aliyun", sms.AliyunBackend),
        ("followups.sms.LocmemBackend", sms.LocmemBackend),
    ],
)
def test_backends_are_chosen_by_setting(settings, setting, backend):
    settings.SMS_BACKEND = setting
    assert type(sms.get_backend()) is backend


def test_console_masks_the_phone():
    out = io.StringIO()
    sms.ConsoleBackend(stream=out).send(sms.SmsMessage(phone="13812345678", body="您好"))
    assert "138****5678" in out.getvalue() and "13812345678" not in out.getvalue()


def test_filebased_writes_one_file_per_message(tmp_path):
    backend = sms.FileBasedBackend(file_path=str(tmp_path / "sms"))
    for n in range(3):
        backend.send(sms.SmsMessage(phone=f"1381234567{n}", body="您好", reference=f"rd{n}"))
    files = list(Path(tmp_path / "sms").iterdir())
    assert len(files) == 3
    assert all(f.read_text(encoding="utf-8").endswith("您好\n") for f in files)
