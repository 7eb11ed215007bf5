#!/usr/bin/env python3
"""Issue 9's findings 1-4 and 8-11, replayed as a hostile tenant would, by HTTP against ./run.sh.
Usage: tests/walks/hostile-tenant.py [throttle]     (docs in tests/walks/README.md)"""
import base64, os, subprocess, sys, time, uuid
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cimiwalk import *  # noqa: F401,F403 (the walk's vocabulary: req, demo, admin, check, ...)
import cimiwalk


def finding1():
    s, _, _, d = demo("POST", "/cimi/credentialTemplates", {"name": "ct", "credential": {"userName": "a", "password": "p"}})
    ct = d["id"] if d and "id" in d else None
    path = ct[ct.index("/cimi/"):] if ct else "/cimi/credentialTemplates/x"
    for n, method in ((10000, "PUT"), (20000, "POST")):
        body = '<CredentialTemplate xmlns="http://schemas.dmtf.org/cimi/1"><name>x</name>' + "<a>" * n + "x" + "</a>" * n + "</CredentialTemplate>"
        s, _, t, d = demo(method, path if method == "PUT" else "/cimi/credentialTemplates", body, ctype="application/xml")
        check(s == 400 and b"deeper than" in t.lower(), f"1: {method} XML nesting {n} -> 400 naming the depth", (s, t[:200]))
        check(alive(), f"1: gateway alive after {method} nesting {n}")
    for depth in (33, 200):
        body = '{"name":"x","description":"d","x":' + "[" * depth + "]" * depth + "}"
        s, _, t, _ = demo("POST", "/cimi/machineConfigs", body)
        check(400 <= s < 500, f"1: JSON nesting {depth} -> 4xx", (s, t[:200]))


def finding2():
    ua, pa = new_tenant("wa")
    ub, pb = new_tenant("wb")
    tmpl = req("GET", "/cimi/machineTemplates", user=ua, pw=pa)[3]
    # tenants get the public demo image? create a machine from the public demo image by location
    s, h, t, d = req("POST", "/cimi/machines", {"name": "victim", "machineTemplate": {
        "machineConfig": {"cpu": 1, "memory": 131072}, "machineImage": {"imageLocation": "docker:cimigrains/demo:latest"},
        "credential": {"userName": "vadmin", "password": "victim-secret-pw"}}}, ua, pa)
    check(s == 202, "2: tenant A creates a Machine", (s, t[:300]))
    if s != 202:
        return
    job = wait_job(ua, pa, h["CIMI-Job-URI"])
    mid = h["Location"]
    s, h, t, d = req("POST", "/cimi/machineImages", {"name": "snap", "imageLocation": mid}, ua, pa)
    check(s == 202, "2: A captures it", (s, t[:300]))
    job = wait_job(ua, pa, h["CIMI-Job-URI"])
    loc = req("GET", h["Location"], user=ua, pw=pa)[3]["imageLocation"]
    ref = loc[len("docker:"):]
    image_id = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", ref], capture_output=True, text=True).stdout.strip()
    hexid = image_id[len("sha256:"):]
    for location in ["docker:" + ref, "docker:" + hexid[:1], "docker:" + hexid[:12], "docker:" + image_id, "docker:bb8"]:
        s, _, t, _ = req("POST", "/cimi/machineImages", {"name": "stolen", "imageLocation": location}, ub, pb)
        check(s == 400, f"2: B registering {location} -> 400", (s, t[:200]))
    out = subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", ref, "-c",
                          "cat /run/cimi/* 2>/dev/null; true"], capture_output=True, text=True).stdout
    check("victim-secret-pw" not in out, "2: the capture holds no admin password", out[:200])
    req("DELETE", mid, user=ua, pw=pa)


def finding3():
    s, h, t, d = demo("POST", "/cimi/machineConfigs", {"name": "orig", "cpu": 1, "memory": 65536})
    cid = d["id"]
    path = cid[cid.index("/cimi/"):]
    s, _, t, _ = demo("PUT", path, '{"name":"a\\u0000b","cpu":1,"memory":65536}')
    check(s == 400, "3: PUT with NUL -> 400", (s, t[:200]))
    byid = demo("GET", path)[3]["name"]
    coll = [c for c in demo("GET", "/cimi/machineConfigs")[3]["machineConfigurations"] if c["id"] == cid]
    check(byid == "orig" and coll and coll[0]["name"] == "orig", "3: grain and read model unchanged", (byid, coll))
    before = collection_count("demo", DEMO, "machineConfigs")
    s, _, t, _ = demo("POST", "/cimi/machineConfigs", '{"name":"a\\u0000b","cpu":1,"memory":65536}')
    check(s == 400, "3: POST with NUL -> 400", (s, t[:200]))
    check(collection_count("demo", DEMO, "machineConfigs") == before, "3: nothing created")
    demo("DELETE", path)


def finding4():
    cases = [
        ("dup keys", "POST", "/cimi/machineConfigs", '{"name":"a","name":"b","cpu":1,"memory":65536}', "application/json"),
        ("lone surrogate", "POST", "/cimi/machineConfigs", '{"name":"\\ud800","cpu":1,"memory":65536}', "application/json"),
        ("invalid utf8", "POST", "/cimi/machineConfigs", b'{"name":"\xc0\xaf","cpu":1,"memory":65536}', "application/json"),
        ("xml &#x1;", "POST", "/cimi/machineConfigs", '<MachineConfiguration xmlns="http://schemas.dmtf.org/cimi/1"><name>&#x1;</name><cpu>1</cpu><memory>65536</memory></MachineConfiguration>', "application/xml"),
        ("xml &#xFFFF;", "POST", "/cimi/machineConfigs", '<MachineConfiguration xmlns="http://schemas.dmtf.org/cimi/1"><name>&#xFFFF;</name><cpu>1</cpu><memory>65536</memory></MachineConfiguration>', "application/xml"),
    ]
    before = collection_count("demo", DEMO, "machineConfigs")
    for what, m, p, b, ct in cases:
        s, _, t, _ = demo(m, p, b, ctype=ct)
        check(400 <= s < 500 and len(t) > 0, f"4: {what} -> 4xx with a body", (s, t[:200]))
    s, _, t, _ = demo("GET", "/cimi/machineConfigs?$filter=name='%00'")
    check(400 <= s < 500 or s == 200, f"4: $filter NUL -> not 5xx", (s, t[:200]))
    s, _, t, _ = req("GET", "/cimi/cloudEntryPoint", raw_auth=base64.b64encode(b"x\0:pw").decode())
    check(s == 401, "4: Basic user x\\0 -> 401", (s, t[:200]))
    s, _, t, _ = admin("POST", "/admin/tenants", "<x/>", ctype="application/xml")
    check(400 <= s < 500, "4: XML to /admin -> 4xx", (s, t[:200]))
    check(collection_count("demo", DEMO, "machineConfigs") == before, "4: nothing created by rejected requests")


def finding8():
    u, p = new_tenant("op")
    tid = u[:-2]
    op = "op-" + uuid.uuid4().hex[:8]
    s, _, t, _ = admin("POST", f"/admin/tenants/{tid}/users", {"user": op, "password": "operator-pw-1", "role": "admin"})
    s, _, t, d = admin("POST", f"/admin/tenants/{tid}/users", {"user": op, "password": "operator-pw-2", "replace": True})
    check(s == 201 and d.get("role") == "admin", "8: re-key without role keeps admin", (s, t[:200]))


def finding9():
    # Secrets at rest: a Credential's name is in grain storage (so the search can find text there), its
    # password is in no table of the database.
    name, secret = "walk-cred-" + uuid.uuid4().hex[:8], "walk-secret-" + uuid.uuid4().hex[:8]
    s, _, t, _ = demo("POST", "/cimi/credentials", {"name": name, "credentialTemplate": {"userName": "walkuser", "password": secret}})
    check(s == 201, "9: a Credential is created", (s, t[:200]))
    dump = subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c",
                           f"/usr/lib/postgresql/15/bin/pg_dump -h 127.0.0.1 -p {os.environ.get('CIMI_WALK_PG_PORT', '55432')} -U postgres cimigrains"],
                          capture_output=True, text=True).stdout
    check(name in dump, "9: the dump holds the Credential's name (the search is not vacuous)")
    check(secret not in dump, "9: the Credential's password is in no table")
    # Containers of two tenants: no shared bridge, a process limit, no new privileges, no capabilities.
    made = []
    for prefix in ("isa", "isb"):
        u, p = new_tenant(prefix)
        s, h, t, d = req("POST", "/cimi/machines", {"name": "iso", "machineTemplate": {
            "machineConfig": {"cpu": 1, "memory": 131072}, "machineImage": {"imageLocation": "docker:cimigrains/demo:latest"}}}, u, p)
        if s == 202 and wait_job(u, p, h["CIMI-Job-URI"]).get("state") == "SUCCESS":
            made.append((u, p, h["Location"], prefix))
    check(len(made) == 2, "9: a Machine in each of two tenants")
    if len(made) == 2:
        def container(prefix):
            return subprocess.run(["docker", "ps", "-q", "--filter", f"name=cimi-{prefix}-"], capture_output=True, text=True).stdout.split()[0]
        a, b = container("isa"), container("isb")
        fmt = "{{.HostConfig.PidsLimit}} {{.HostConfig.NetworkMode}} {{.HostConfig.SecurityOpt}} {{.HostConfig.CapDrop}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
        ia = subprocess.run(["docker", "inspect", "--format", fmt, a], capture_output=True, text=True).stdout.split()
        ib = subprocess.run(["docker", "inspect", "--format", fmt, b], capture_output=True, text=True).stdout.split()
        check(ia[1] != ib[1] and ia[1] != "bridge", "9: each tenant's containers on a network of their own", (ia, ib))
        check(ia[0] not in ("0", "-1", "<nil>") and "no-new-privileges" in " ".join(ia) and "[ALL]" in " ".join(ia),
              "9: a process limit, no new privileges, every capability dropped", ia)
        subprocess.run(["docker", "exec", b, "sh", "-c", "mkdir -p /tmp/w; echo hi > /tmp/w/index.html; busybox httpd -p 8000 -h /tmp/w"])
        local = subprocess.run(["docker", "exec", b, "sh", "-c", "printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w 3 127.0.0.1 8000"],
                               capture_output=True, text=True).stdout
        across = subprocess.run(["docker", "exec", a, "sh", "-c", f"printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 busybox nc -w 3 {ib[-1]} 8000"],
                                capture_output=True, text=True).stdout
        check("hi" in local and "hi" not in across, "9: tenant A's container does not reach tenant B's server", (local[-40:], across[-40:]))
    for u, p, m, _ in made:
        req("DELETE", m, user=u, pw=p)


def finding10():
    s, h, _, _ = demo("GET", "/cimi/cloudEntryPoint")
    check(h.get("X-Content-Type-Options") == "nosniff" and "no-store" in h.get("Cache-Control", "") and "Server" not in h,
          "10: security headers, no Server", h)
    u, p = new_tenant("rk")
    tid = u[:-2]
    req("GET", "/cimi/cloudEntryPoint", user=u, pw=p)
    admin("POST", f"/admin/tenants/{tid}/users", {"user": u, "password": "new-password-99", "replace": True})
    check(req("GET", "/cimi/cloudEntryPoint", user=u, pw=p)[0] == 401, "10: old password refused at once after re-key")
    # timing: unknown user vs wrong password, medians over 7 (from a source of its own)
    def t(user):
        a = time.perf_counter(); req("GET", "/cimi/cloudEntryPoint", user=user, pw="nope", source="127.0.0.91"); return time.perf_counter() - a
    unk = sorted(t("ghost-" + uuid.uuid4().hex[:8]) for _ in range(4))
    wrong = sorted(t(u) for _ in range(4))
    mu, mw = unk[2], wrong[2]
    check(max(mu, mw) / min(mu, mw) < 2, f"10: unknown {mu*1000:.1f} ms vs wrong {mw*1000:.1f} ms")


def finding10_throttle():
    u, p = new_tenant("th")
    codes = [req("GET", "/cimi/cloudEntryPoint", user=u, pw=f"wrong-{i}", source="127.0.0.92")[0] for i in range(12)]
    check(codes[:10] == [401] * 10 and codes[10] == 429, "10: 11th wrong password -> 429", codes)
    s, h, _, _ = req("GET", "/cimi/cloudEntryPoint", user=u, pw=p, source="127.0.0.92")
    check(s == 429 and "Retry-After" in h, "10: even the right password from that source -> 429 + Retry-After", (s, h))
    check(req("GET", "/cimi/cloudEntryPoint", user=u, pw=p, source="127.0.0.93")[0] == 200, "10: the user logs in from elsewhere")


def finding11():
    s, h, t, d = demo("POST", "/cimi/machines", {"name": "f11", "machineTemplate": {"href": f"http://{cimiwalk.BASE[0]}:{cimiwalk.BASE[1]}/cimi/machineTemplates/demo"}})
    check(s == 202 and d and d.get("resourceURI", "").endswith("Machine") and d.get("state") == "CREATING" and "CIMI-Job-URI" in h,
          "11: 202 body is the Machine CREATING, Job in CIMI-Job-URI", (s, t[:300]))
    if s == 202:
        wait_job("demo", DEMO, h["CIMI-Job-URI"])
        demo("DELETE", h["Location"])
    body = '<MachineImageCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>mic</name><imageLocation>docker:cimigrains/demo:latest</imageLocation></MachineImageCreate>'
    s, h, t, d = demo("POST", "/cimi/machineImages", body, ctype="application/xml")
    check(s in (201, 202), "11: MachineImageCreate with imageLocation text accepted", (s, t[:300]))


if __name__ == "__main__":
    # The throttle walk last: afterwards the per-source limit refuses uncached logins from its source.
    for f in [finding1, finding3, finding4, finding8, finding11, finding2, finding9, finding10] + ([finding10_throttle] if "throttle" in sys.argv else []):
        try:
            f()
        except Exception as e:
            check(False, f.__name__ + " raised", repr(e))
    sys.exit(summary())
