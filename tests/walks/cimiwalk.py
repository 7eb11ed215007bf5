"""What the walks share: HTTP with Basic auth from a chosen loopback source, tenants, Jobs, and the
PASS/FAIL lines with the final 'N passed, N failed'. Standard library only.

The cloud is the one ./run.sh started in the checkout above this folder, unless CIMI_WALK_DATA names
another .data folder; CIMI_WALK_PORT picks the gateway (8080)."""
import base64, json, os, socket, subprocess, sys, time, uuid, urllib.request, urllib.error, http.client

BASE = "127.0.0.1", int(os.environ.get("CIMI_WALK_PORT", "8080"))
CHECKOUT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
data = os.environ.get("CIMI_WALK_DATA", os.path.join(CHECKOUT, ".data"))
DEMO = open(os.path.join(data, "demo-password")).read().strip()
ADMIN = open(os.path.join(data, "admin-password")).read().strip()
passed = failed = 0


def use_port(port):
    """Later requests go to the gateway on this port (a two-silo rig has two)."""
    global BASE
    BASE = ("127.0.0.1", port)


def summary():
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS", what)
    else:
        failed += 1
        print("FAIL", what, "::", str(detail)[:400])


def req(method, path, body=None, user=None, pw=None, ctype="application/json", headers=None, raw_auth=None, source=None):
    conn = http.client.HTTPConnection(*BASE, timeout=60, source_address=(source, 0) if source else None)
    h = {"Accept": "application/json"}
    if body is not None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        h["Content-Type"] = ctype
    if raw_auth is not None:
        h["Authorization"] = "Basic " + raw_auth
    elif user is not None:
        h["Authorization"] = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    text = r.read()
    conn.close()
    try:
        doc = json.loads(text) if text else None
    except Exception:
        doc = None
    return r.status, dict(r.getheaders()), text, doc


def demo(method, path, body=None, **kw):
    return req(method, path, body, "demo", DEMO, **kw)


def admin(method, path, body=None, **kw):
    return req(method, path, body, "admin", ADMIN, **kw)


def alive():
    try:
        return req("GET", "/health/ready")[0] == 200
    except Exception:
        return False


def new_tenant(prefix):
    tid = f"{prefix}-{uuid.uuid4().hex[:10]}"
    s, _, t, _ = admin("POST", "/admin/tenants", {"id": tid, "user": tid + "-u", "password": "walk-password-1"})
    assert s == 201, (s, t)
    return tid + "-u", "walk-password-1"


def wait_job(user, pw, job, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        s, _, _, d = req("GET", job, user=user, pw=pw)
        if s == 200 and d.get("state") in ("SUCCESS", "FAILED", "CANCELLED"):
            return d
        time.sleep(0.5)
    return d


def collection_count(user, pw, coll):
    return req("GET", "/cimi/" + coll, user=user, pw=pw)[3]["count"]


CEP = f"http://{BASE[0]}:{BASE[1]}/cimi/"


def rel(href):
    """An href as a path on the gateway (/cimi/...), whichever address the answer named."""
    return "/cimi/" + href.split("/cimi/", 1)[1] if "/cimi/" in href else href


def get(path):
    """The demo tenant's document at path (an href or a path), or {}."""
    return demo("GET", rel(path))[3] or {}


def items(doc):
    """A CIMI collection's members: its one array that is not its operations (CIMI omits an empty one)."""
    return next((v for k, v in doc.items() if isinstance(v, list) and k != "operations"), [])


def container_of(machine):
    """The name of the running container of a container Machine (its names carry the Machine's id), or None."""
    local = machine.rsplit("/", 1)[1]
    names = subprocess.run(["docker", "ps", "--format", "{{.Names}}"], capture_output=True, text=True).stdout.split()
    return next((n for n in names if local in n), None)


def kill_everything():
    """kill -9 of every CimiGrains process, run.sh and PostgreSQL at once. One pkill, not through a
    shell: a shell's own command line names them all, and pkill would kill it part way."""
    subprocess.run(["pkill", "-KILL", "-f", "CimiGrains.Gateway|CimiGrains.Agents|run.sh|postgres -D"])
