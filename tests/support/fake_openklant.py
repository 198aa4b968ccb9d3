#!/usr/bin/env python3
"""A fake Open Klant (Klantinteracties API 0.9.0) for Balie's exporter tests.

Started as a child process: it binds 127.0.0.1 on a free port, prints
"listening <port>" and serves until SIGTERM or SIGINT. Every request under
/klantinteracties/api/v1 is checked against the pinned OpenAPI document, not
against Balie's code: the token, the JSON body against the operation's request
schema ($refs inlined, readOnly fields removed, nullable honoured, formats
date-time, date, uuid and uri checked) and the query against the declared
parameters. It is stricter than Open Klant on purpose in two places: an
unknown body field and an undeclared query parameter are 400 "unknown" (the
real API drops the first and ignores the second, so a misspelt field or filter
would pass unnoticed). It then applies the rules Open Klant adds to the schema
(the kanalen list, telephone and e-mail addresses, referenced objects exist),
keeps klantcontacten, betrokkenen, digitaleadressen, onderwerpobjecten and
bijlagen in memory and renders them as the real API does (plaatsgevondenOp in
Europe/Amsterdam time). Other documented operations answer 501; declared list
filters it does not model are ignored. Faults apply to requests that passed
the token and validation checks.

Control endpoints (no token):
  POST   /_fake/faults    {"method", "path", "mode", "times": 1, "status": 500}; mode is
                          fail, fail-after-commit, hang or hang-after-commit
  DELETE /_fake/faults    clears the faults; hanging requests end without an answer
  GET    /_fake/requests  every API request: method, path, query, body, status, problems
  GET    /_fake/objects   what it holds, per collection, as rendered
"""
import argparse
import datetime
import json
import math
import re
import signal
import sys
import threading
import uuid
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jsonschema
import yaml

BASE = "/klantinteracties/api/v1"
API_VERSION = "0.9.0"
AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
OPENAPI_ONLY = {"example", "readOnly", "writeOnly", "deprecated", "discriminator", "xml", "externalDocs", "nullable"}
LITERALS = {"enum", "required", "default"}
CODES = {"maxLength": "max_length", "minLength": "min_length", "maximum": "max_value", "minimum": "min_value",
         "required": "required", "enum": "invalid_choice", "additionalProperties": "unknown"}
REASONS = {"required": "Dit veld is vereist.", "null": "Dit veld mag niet leeg zijn.",
           "unknown": "Onbekend veld (Open Klant zou het stil negeren).",
           "max_length": "Ten hoogste {} tekens.", "min_length": "Ten minste {} tekens."}
MODES = ("fail", "fail-after-commit", "hang", "hang-after-commit")
# What the fake stores (collection: schema), the fields that refer to another object, and the
# lists that show those references the other way round (list: (collection, referring field)).
COLLECTIONS = {"klantcontacten": "Klantcontact", "betrokkenen": "Betrokkene", "digitaleadressen": "DigitaalAdres",
               "onderwerpobjecten": "Onderwerpobject", "bijlagen": "Bijlage"}
REFERENCES = {"hadKlantcontact": "klantcontacten", "klantcontact": "klantcontacten", "wasKlantcontact": "klantcontacten",
              "wasBijlageVanKlantcontact": "klantcontacten", "verstrektDoorBetrokkene": "betrokkenen",
              "wasPartij": "partijen", "verstrektDoorPartij": "partijen"}
BACKWARDS = {"klantcontacten": {"gingOverOnderwerpobjecten": ("onderwerpobjecten", "klantcontact"),
                                "omvatteBijlagen": ("bijlagen", "wasBijlageVanKlantcontact"),
                                "hadBetrokkenen": ("betrokkenen", "hadKlantcontact")},
             "betrokkenen": {"digitaleAdressen": ("digitaleadressen", "verstrektDoorBetrokkene")}}
# The lists it answers, and their modelled filters (query parameter: stored field).
LIST_FILTERS = {"klantcontacten": {"referentienummer": "referentienummer", "kanaal": "kanaal"},
                "betrokkenen": {"hadKlantcontact__uuid": "hadKlantcontact"},
                "digitaleadressen": {"verstrektDoorBetrokkene__uuid": "verstrektDoorBetrokkene"},
                "bijlagen": {"klantcontact__uuid": "wasBijlageVanKlantcontact"}}
PHONE = re.compile(r"0[1-9][0-9]{8}|\+[0-9]{9,15}|00[0-9]{7,13}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")

FORMATS = jsonschema.FormatChecker(formats=())


def instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value):
    return not isinstance(value, str) or bool(DATE_TIME.fullmatch(value) and instant(value))


@FORMATS.checks("date", raises=ValueError)
def is_date(value):
    return not isinstance(value, str) or bool(re.fullmatch(r"\d{4}-\d\d-\d\d", value) and datetime.date.fromisoformat(value))


@FORMATS.checks("uuid")
def is_uuid(value):
    return not isinstance(value, str) or bool(re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", value))


@FORMATS.checks("uri")
def is_uri(value):
    return not isinstance(value, str) or bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+\S*", value))


def invalid(name, code, reason):
    return {"name": name, "code": code, "reason": reason}


def parse_json(content_type, raw):
    """The body of a POST, PUT or PATCH: (parsed or None, problems)."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        return None, [invalid("nonFieldErrors", "parse_error", "Content-Type moet application/json zijn.")]
    try:
        body = json.loads(raw)
    except ValueError as error:
        return None, [invalid("nonFieldErrors", "parse_error", f"Geen geldige JSON: {error}")]
    return body, [] if isinstance(body, dict) else [invalid("nonFieldErrors", "parse_error", "Geen JSON-object.")]


def query_value_ok(value, schema):
    kind = schema.get("type")
    if kind == "integer":
        return bool(re.fullmatch(r"-?\d+", value))
    if kind == "boolean":
        return value in ("true", "false", "True", "False", "1", "0")
    return value == "" or FORMATS.conforms(value, schema.get("format"))


def address_ok(kind, adres):
    if kind == "telefoonnummer":
        return bool(PHONE.fullmatch(adres)) and not adres.startswith(("0800", "0900", "1400", "140"))
    return kind != "email" or bool(EMAIL.fullmatch(adres))


def default(prop):
    """What the API renders for a field that was not given."""
    if prop.get("nullable"):
        return None
    if "default" in prop:
        return prop["default"]
    return {"string": "", "boolean": False, "array": [], "object": {}}.get(prop.get("type"))


def make_fault(spec):
    fault = {"method": str(spec["method"]).upper(), "path": spec["path"], "mode": spec["mode"],
             "times": int(spec.get("times", 1)), "status": int(spec.get("status", 500))}
    if not (isinstance(fault["path"], str) and fault["path"].startswith("/") and fault["mode"] in MODES
            and fault["times"] >= 1 and 400 <= fault["status"] <= 599):
        raise ValueError(f"a fault needs a path from /, a mode of {', '.join(MODES)}, times >= 1 and a status 400-599")
    return fault


class Fake:
    def __init__(self, document, token, page_size, kanalen):
        self.document, self.token, self.page_size, self.kanalen = document, token, page_size, kanalen
        self.schemas = document["components"]["schemas"]
        self.routes = [(re.compile(re.sub(r"\{\w+\}", "([^/]+)", path) + "$"), path) for path in document["paths"]]
        self.validators = {}
        self.lock = threading.Lock()
        self.stores = {collection: {} for collection in COLLECTIONS}
        self.requests, self.faults = [], []
        self.release = threading.Event()
        self.origin = ""

    # -- validation --------------------------------------------------------------------------

    def resolve(self, node):
        while "$ref" in node:
            node = self.schemas[node["$ref"].rsplit("/", 1)[1]]
        return node

    def request_schema(self, node, depth=0):
        """An OpenAPI 3.0 schema as a JSON Schema (draft 7) for a request body."""
        if isinstance(node, list):
            return [self.request_schema(item, depth) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:  # a cycle ends in "anything" after 20 levels
            return self.request_schema(self.resolve(node), depth + 1) if depth < 20 else {}
        if "mapping" in node.get("discriminator", {}):  # the API picks the branch by it; oneOf alone may match several
            prop, mapping = node["discriminator"]["propertyName"], node["discriminator"]["mapping"]
            return {"type": "object", "required": [prop], "allOf": [{"properties": {prop: {"enum": list(mapping)}}}] + [
                {"if": {"properties": {prop: {"const": value}}, "required": [prop]}, "then": self.request_schema({"$ref": ref}, depth)}
                for value, ref in mapping.items()]}
        if len(node.get("allOf", [])) > 1:  # a polymorphic serializer: one object with every part's fields
            parts = [self.resolve(part) for part in node["allOf"]]
            node = {"type": "object", "properties": {k: v for part in parts for k, v in part.get("properties", {}).items()},
                    "required": [name for part in parts for name in part.get("required", [])]}
        out = {}
        for key, value in node.items():
            if key in LITERALS:
                out[key] = value
            elif key == "properties":
                out[key] = {name: self.request_schema(prop, depth) for name, prop in value.items() if not prop.get("readOnly")}
            elif key not in OPENAPI_ONLY:
                out[key] = self.request_schema(value, depth)
        if "properties" in out:
            out["required"] = [name for name in node.get("required", []) if name in out["properties"]]
            out.setdefault("additionalProperties", False)
        return {"if": {"type": "null"}, "else": out} if node.get("nullable") else out

    def body_problems(self, template, method, body):
        key = (template, method)
        if key not in self.validators:
            schema = self.document["paths"][template][method]["requestBody"]["content"]["application/json"]["schema"]
            self.validators[key] = jsonschema.Draft7Validator(self.request_schema(schema), format_checker=FORMATS)
        params = []
        for error in sorted(self.validators[key].iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]):
            path = [str(p) for p in error.absolute_path]
            if error.validator == "required":
                names = [path + [name] for name in error.validator_value if name not in error.instance]
            elif error.validator == "additionalProperties":
                names = [path + [name] for name in error.instance if name not in error.schema.get("properties", {})]
            else:
                names = [path]
            code = "null" if error.validator == "type" and error.instance is None else CODES.get(error.validator, "invalid")
            for name in names:
                reason = REASONS[code].format(error.validator_value) if code in REASONS else error.message[:200]
                param = invalid(".".join(name) or "nonFieldErrors", code, reason)
                if param not in params:
                    params.append(param)
        return params

    def query_problems(self, operation, query):
        declared = {p["name"]: p.get("schema", {}) for p in operation.get("parameters", []) if p["in"] == "query"}
        params = []
        for name, values in query.items():
            if name not in declared:
                params.append(invalid(name, "unknown", "Geen queryparameter van deze operatie (Open Klant zou hem negeren)."))
            elif not all(query_value_ok(value, declared[name]) for value in values):
                kind = declared[name].get("format") or declared[name].get("type")
                params.append(invalid(name, "invalid", f"Geen geldige waarde ({kind})."))
        return params

    def domain_problems(self, collection, data, prefix=""):
        """Open Klant's rules beyond the schema; call with the lock held."""
        params = []
        if collection == "klantcontacten" and self.kanalen and data["kanaal"] not in self.kanalen:
            params.append(invalid(prefix + "kanaal", "invalid", f"Onbekend kanaal; toegestaan: {', '.join(self.kanalen)}."))
        if collection == "digitaleadressen" and not address_ok(data["soortDigitaalAdres"], data["adres"]):
            params.append(invalid(prefix + "adres", "invalid", f"Geen geldig adres voor {data['soortDigitaalAdres']}."))
        for field, other in REFERENCES.items():
            ref = data.get(field)
            if isinstance(ref, dict) and ref["uuid"].lower() not in self.stores.get(other, {}):
                params.append(invalid(f"{prefix}{field}.uuid", "does_not_exist", f'Ongeldige pk "{ref["uuid"]}" - object bestaat niet.'))
        return params

    # -- answers -----------------------------------------------------------------------------

    def problem(self, status, kind, code, title, detail="", **extra):
        return {"type": f"https://{self.origin.split('//')[1]}/ref/fouten/{kind}/", "code": code, "title": title,
                "status": status, "detail": detail, "instance": f"urn:uuid:{uuid.uuid4()}", **extra}

    def validation_problem(self, params):
        return self.problem(400, "ValidationError", "invalid", "Invalid input.", invalidParams=params)

    def api(self, method, record, headers, raw):
        """Answers one API request: (status, body), or (None, None) when it hung."""
        if headers.get("Authorization") != "Token " + self.token:
            return 401, self.problem(401, "NotAuthenticated", "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.",
                                     "Verwacht: Authorization: Token <token>.")
        route = next(((template, m) for pattern, template in self.routes if (m := pattern.match(record["path"]))), None)
        if route is None:
            return 404, self.problem(404, "NotFound", "not_found", "Niet gevonden.", "Dit pad staat niet in het OpenAPI-document.")
        template, match = route
        operation = self.document["paths"][template].get(method.lower())
        if operation is None:
            return 405, self.problem(405, "MethodNotAllowed", "method_not_allowed", f'Methode "{method}" niet toegestaan.')
        if method in ("POST", "PUT", "PATCH"):
            record["body"], params = parse_json(headers.get("Content-Type", ""), raw)
            params = params or self.body_problems(template, method.lower(), record["body"])
        else:
            params = self.query_problems(operation, record["query"])
        if params:
            return 400, self.validation_problem(params)
        fault = self.take_fault(method, record["path"])
        mode = fault["mode"] if fault else None
        if mode == "fail":
            return fault["status"], self.problem(fault["status"], "APIException", "error", "Nepstoring (fail).")
        if mode == "hang":
            return self.hang()
        status, body = self.operate(method, template, match, record)
        if mode == "hang-after-commit" and status < 300:
            return self.hang()
        if mode == "fail-after-commit" and status < 300:
            return fault["status"], self.problem(fault["status"], "APIException", "error", "Nepstoring na opslaan (fail-after-commit).")
        return status, body

    def operate(self, method, template, match, record):
        collection = template.split("/")[1]
        with self.lock:
            if method == "POST" and template == "/maak-klantcontact":
                return self.make_klantcontact(record["body"])
            if method == "POST" and collection in COLLECTIONS and template == "/" + collection:
                params = self.domain_problems(collection, record["body"])
                if params:
                    return 400, self.validation_problem(params)
                return 201, self.render(collection, self.store(collection, record["body"]))
            if method == "GET" and collection in LIST_FILTERS and template == "/" + collection:
                return self.page(collection, record["query"])
            if method == "GET" and collection in COLLECTIONS and template == f"/{collection}/{{uuid}}":
                uid = match.group(1).lower()
                if uid in self.stores[collection]:
                    return 200, self.render(collection, uid)
                return 404, self.problem(404, "NotFound", "not_found", "Niet gevonden.")
        return 501, self.problem(501, "NotImplemented", "not_implemented", "Niet geïmplementeerd.",
                                 f"De nep-Open Klant kent {method} {template} niet.")

    def make_klantcontact(self, body):
        """Klantcontact, betrokkene and onderwerpobject together, all or nothing (lock held)."""
        params = (self.domain_problems("klantcontacten", body["klantcontact"], "klantcontact.")
                  + self.domain_problems("betrokkenen", body.get("betrokkene", {}), "betrokkene.")
                  + self.domain_problems("onderwerpobjecten", body.get("onderwerpobject", {}), "onderwerpobject."))
        if params:
            return 400, self.validation_problem(params)
        uid = self.store("klantcontacten", body["klantcontact"])
        made = {}
        if "betrokkene" in body:
            made["betrokkene"] = self.render("betrokkenen", self.store("betrokkenen", {**body["betrokkene"], "hadKlantcontact": {"uuid": uid}}))
        if "onderwerpobject" in body:
            made["onderwerpobject"] = self.render("onderwerpobjecten", self.store("onderwerpobjecten", {**body["onderwerpobject"], "klantcontact": {"uuid": uid}}))
        return 201, {"klantcontact": self.render("klantcontacten", uid), **made}

    def store(self, collection, data):
        data = {k: {"uuid": v["uuid"].lower()} if k in REFERENCES and isinstance(v, dict) else v for k, v in data.items()}
        if collection == "klantcontacten":
            data.setdefault("plaatsgevondenOp", datetime.datetime.now(datetime.timezone.utc).isoformat())
        uid = str(uuid.uuid4())
        self.stores[collection][uid] = data
        return uid

    def ref(self, collection, uid):
        return {"uuid": uid, "url": f"{self.origin}{BASE}/{collection}/{uid}"}

    def render(self, collection, uid):
        """A stored object as the API shows it (lock held)."""
        data = self.stores[collection][uid]
        out = {}
        for name, prop in self.schemas[COLLECTIONS[collection]]["properties"].items():
            value = data.get(name, default(prop))
            out[name] = self.ref(REFERENCES[name], value["uuid"]) if name in REFERENCES and isinstance(value, dict) else value
        out.update(self.ref(collection, uid))
        for name, (other, field) in BACKWARDS.get(collection, {}).items():
            out[name] = [self.ref(other, u) for u, d in self.stores[other].items() if (d.get(field) or {}).get("uuid") == uid]
        if collection == "klantcontacten":  # as Django renders it: local time, microseconds if any, offset
            out["plaatsgevondenOp"] = instant(data["plaatsgevondenOp"]).astimezone(AMSTERDAM).isoformat()
        if collection == "betrokkenen":
            naam = data.get("contactnaam") or {}
            out["volledigeNaam"] = " ".join(filter(None, (naam.get(k) for k in ("voornaam", "voorvoegselAchternaam", "achternaam"))))
        return out

    def matches(self, collection, uid, data, name, value):
        if name == "plaatsgevondenOp":
            return instant(data[name]) == instant(value)
        if name == "hadBetrokkene__uuid":
            return (self.stores["betrokkenen"].get(value.lower()) or {}).get("hadKlantcontact", {}).get("uuid") == uid
        field = LIST_FILTERS[collection].get(name)
        if field is None:  # page, pageSize, expand, or a declared filter not modelled here
            return True
        stored = data.get(field)
        return stored["uuid"] == value.lower() if isinstance(stored, dict) else stored == value

    def page(self, collection, query):
        rows = [uid for uid, data in self.stores[collection].items()
                if all(self.matches(collection, uid, data, name, values[0]) for name, values in query.items() if values[0])]
        size = int((query.get("pageSize") or [""])[0] or self.page_size)
        size = size if size > 0 else self.page_size
        number = int((query.get("page") or [""])[0] or 1)
        pages = max(1, math.ceil(len(rows) / size))
        if not 1 <= number <= pages:
            return 404, self.problem(404, "NotFound", "not_found", "Ongeldige pagina.")

        def link(n):
            return f"{self.origin}{BASE}/{collection}?{urlencode({**query, 'page': [str(n)]}, doseq=True)}" if 1 <= n <= pages else None
        return 200, {"count": len(rows), "next": link(number + 1), "previous": link(number - 1),
                     "results": [self.render(collection, uid) for uid in rows[(number - 1) * size:number * size]]}

    # -- faults and control ------------------------------------------------------------------

    def take_fault(self, method, path):
        with self.lock:
            for fault in self.faults:
                if fault["method"] == method and fault["path"] == path:
                    fault["times"] -= 1
                    if fault["times"] == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def hang(self):
        with self.lock:
            release = self.release
        release.wait()
        return None, None

    def control(self, method, path, raw):
        with self.lock:
            if (method, path) == ("GET", "/_fake/requests"):
                return 200, json.loads(json.dumps(self.requests))  # a copy: handlers still update their records
            if (method, path) == ("GET", "/_fake/objects"):
                return 200, {collection: [self.render(collection, uid) for uid in self.stores[collection]] for collection in COLLECTIONS}
            if (method, path) == ("DELETE", "/_fake/faults"):
                self.faults.clear()
                self.release.set()
                self.release = threading.Event()
                return 204, None
            if (method, path) == ("POST", "/_fake/faults"):
                try:
                    fault = make_fault(json.loads(raw))
                except (ValueError, KeyError, TypeError) as error:
                    return 400, {"error": f"{type(error).__name__}: {error}"}
                self.faults.append(fault)
                return 201, fault
        return 404, {"error": f"no control endpoint {method} {path}"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def handle_request(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/_fake/"):
            return self.answer(*fake.control(self.command, url.path, raw))
        if not url.path.startswith(BASE + "/"):
            return self.answer(404, fake.problem(404, "NotFound", "not_found", "Niet gevonden."))
        record = {"method": self.command, "path": url.path[len(BASE):], "query": parse_qs(url.query, keep_blank_values=True),
                  "body": None, "status": None, "problems": []}
        with fake.lock:
            fake.requests.append(record)
        status, body = fake.api(self.command, record, self.headers, raw)
        if status is None:  # hung, then released: close without an answer
            self.close_connection = True
            return
        with fake.lock:
            record["status"] = status
            if status == 400:
                record["problems"] = [f"{p['name']}: {p['code']}: {p['reason']}" for p in body.get("invalidParams", [])]
        self.answer(status, body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_request

    def answer(self, status, body):
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("API-version", API_VERSION)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser(description="A fake Open Klant Klantinteracties API for tests.")
    parser.add_argument("--openapi", required=True, help="the Klantinteracties OpenAPI document (YAML)")
    parser.add_argument("--token", required=True, help="the token expected as Authorization: Token <token>")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--kanalen", default="", help="the kanalen accepted, comma-separated; empty: any")
    args = parser.parse_args()
    with open(args.openapi, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    fake = Fake(document, args.token, args.page_size, [k.strip() for k in args.kanalen.split(",") if k.strip()])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fake = fake
    port = server.server_address[1]
    fake.origin = f"http://127.0.0.1:{port}"
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    print(f"listening {port}", flush=True)
    try:
        server.serve_forever()
    finally:
        fake.release.set()
        server.server_close()


if __name__ == "__main__":
    main()
