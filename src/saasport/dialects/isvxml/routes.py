"""The legacy ISV platform's three transports (seed 003 §5.1–§5.3), one message handler.

- `POST /isv/interface` with the form field `Msg=<request XML>`: answers the response XML.
- SOAP 1.1 at `/isv/soap` (WSDL at `/isv/soap?wsdl`, namespace
  `http://SaaSInterface.Sispark.Microsoft.com/`): `SaaSISVInterface` takes the entity
  (`req`: `Head`, `Body`) and returns `SaaSISVInterfaceResult` (a `ResponseInfo`);
  `SaaSISVInterfaceXMLString` takes the request XML as one string (`xml`) and returns it as one.

Envelopes are parsed by `defusedxml` (no DTDs, no entities); bodies are bounded at 256 KB.
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from defusedxml import ElementTree
from fastapi import APIRouter, Request
from fastapi.responses import Response

from saasport.deps import DbSession, PlatformDep
from saasport.dialects.isvxml.messages import answer
from saasport.sdk.isvxml import MAX_MESSAGE, NAMESPACE, elements
from saasport.web.routing import UnitOfWorkRoute
from saasport.web.uploads import BodyTooLarge, read_body

router = APIRouter(tags=["dialect: isvxml"], route_class=UnitOfWorkRoute)
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XML = "text/xml; charset=utf-8"
REQUEST_HEAD = ("Code", "CTID", "AppID", "SubmitTime", "Version", "Priority")
RESPONSE_HEAD = (
    "Code", "CTID", "STID", "AppID", "RequestTime", "ResponseTime", "Version", "Priority", "Status",
)  # fmt: skip
WSDL = Template((Path(__file__).parent / "service.wsdl").read_text())
ERRORS = {"token_missing": "11010102", "token_invalid": "11010104", "invalid_client": "101"}


async def _body(request: Request) -> bytes | None:
    try:
        return await read_body(request, limit=MAX_MESSAGE)
    except BodyTooLarge:
        return None


@router.post(
    "/isv/interface",
    operation_id="isvInterfacePost",
    responses={200: {"content": {"text/xml": {}}, "description": "The answer envelope."}},
)
async def interface(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """The POST transport: `Msg=<request XML>`, form-encoded."""
    raw = await _body(request)
    if raw is None:  # too large: answered as any message that is not one (Status -1)
        return Response(await answer(db, platform, ""), media_type=XML)
    msg = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)).get("Msg", "")
    return Response(await answer(db, platform, msg), media_type=XML)


def _fault(message: str, status: int = 400) -> Response:
    xml = (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:Client</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    )
    return Response(xml, status_code=status, media_type=XML)


def _envelope(inner: str) -> Response:
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>{inner}</soap:Body></soap:Envelope>'
    )
    return Response(xml, media_type=XML)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


@router.post(
    "/isv/soap",
    operation_id="isvSoap",
    responses={
        200: {"content": {"text/xml": {}}, "description": "A SOAP 1.1 envelope."},
        400: {"content": {"text/xml": {}}, "description": "A SOAP fault (a malformed call)."},
        413: {"content": {"text/xml": {}}, "description": "A SOAP fault (over 256 KB)."},
    },
)
async def soap(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """SOAP 1.1, document/literal: `SaaSISVInterface` (entity) or `…XMLString` (string)."""
    raw = await _body(request)
    if raw is None:
        return _fault("The message is larger than 256 KB.", 413)
    try:
        envelope = ElementTree.fromstring(raw, forbid_dtd=True)
    except Exception:  # defusedxml's refusals (entities, DTDs) and every parse error
        return _fault("Not a well-formed SOAP envelope.")
    body = next((c for c in envelope if _local(c.tag) == "Body"), None)
    call = next(iter(body), None) if body is not None else None
    if call is None:
        return _fault("The SOAP body names no operation.")
    operation = _local(call.tag)
    if operation == "SaaSISVInterfaceXMLString":
        xml_el = next((c for c in call if _local(c.tag) == "xml"), None)
        answered = await answer(db, platform, (xml_el.text or "") if xml_el is not None else "")
        return _envelope(
            f'<SaaSISVInterfaceXMLStringResponse xmlns="{NAMESPACE}">'
            f"<SaaSISVInterfaceXMLStringResult>{escape(answered)}</SaaSISVInterfaceXMLStringResult>"
            "</SaaSISVInterfaceXMLStringResponse>"
        )
    if operation == "SaaSISVInterface":
        req = next((c for c in call if _local(c.tag) == "req"), None)
        if req is None:
            return _fault("SaaSISVInterface takes one `req`.")
        parts = {_local(c.tag): c for c in req}
        head_el = parts.get("Head")
        head = {_local(c.tag): (c.text or "") for c in head_el} if head_el is not None else {}
        sealed = (parts["Body"].text or "") if "Body" in parts else ""
        request_xml = (
            f"<RequestInfo><Head>{elements({k: head.get(k, '') for k in REQUEST_HEAD})}</Head>"
            f"<Body>{escape(sealed)}</Body></RequestInfo>"
        )
        answered = ElementTree.fromstring(await answer(db, platform, request_xml))
        answer_parts = {_local(c.tag): c for c in answered}
        answer_head = {_local(c.tag): (c.text or "") for c in answer_parts["Head"]}
        result = (
            f"<Head>{elements({k: answer_head.get(k, '') for k in RESPONSE_HEAD})}</Head>"
            f"<Body>{escape(answer_parts['Body'].text or '')}</Body>"
        )
        return _envelope(
            f'<SaaSISVInterfaceResponse xmlns="{NAMESPACE}">'
            f"<SaaSISVInterfaceResult>{result}</SaaSISVInterfaceResult>"
            "</SaaSISVInterfaceResponse>"
        )
    return _fault(f"Unknown operation {operation[:64]!r}.")


def wsdl(address: str) -> str:
    """The service description a standard SOAP client (zeep, .NET) consumes."""

    def sequence(names: tuple[str, ...]) -> str:
        return "".join(
            f'<s:element minOccurs="0" maxOccurs="1" name="{n}" type="s:string"/>' for n in names
        )

    operations = "".join(
        f'<wsdl:operation name="{op}"><soap:operation soapAction="{NAMESPACE}{op}" '
        'style="document"/><wsdl:input><soap:body use="literal"/></wsdl:input>'
        '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>'
        for op in ("SaaSISVInterface", "SaaSISVInterfaceXMLString")
    )
    port_ops = "".join(
        f'<wsdl:operation name="{op}"><wsdl:input message="tns:{op}SoapIn"/>'
        f'<wsdl:output message="tns:{op}SoapOut"/></wsdl:operation>'
        for op in ("SaaSISVInterface", "SaaSISVInterfaceXMLString")
    )
    messages = "".join(
        f'<wsdl:message name="{op}SoapIn"><wsdl:part name="parameters" element="tns:{op}"/>'
        f'</wsdl:message><wsdl:message name="{op}SoapOut"><wsdl:part name="parameters" '
        f'element="tns:{op}Response"/></wsdl:message>'
        for op in ("SaaSISVInterface", "SaaSISVInterfaceXMLString")
    )
    return WSDL.substitute(
        namespace=NAMESPACE,
        request_head=sequence(REQUEST_HEAD),
        response_head=sequence(RESPONSE_HEAD),
        messages=messages,
        port_ops=port_ops,
        operations=operations,
        address=escape(address),
    )


@router.get(
    "/isv/soap",
    operation_id="isvSoapWsdl",
    responses={200: {"content": {"text/xml": {}}, "description": "The WSDL (`?wsdl`)."}},
)
async def soap_wsdl(platform: PlatformDep) -> Response:
    """The WSDL of the SOAP transport (any query, e.g. `?wsdl`)."""
    address = platform.settings.base_url.rstrip("/") + "/isv/soap"
    return Response(wsdl(address), media_type=XML)
