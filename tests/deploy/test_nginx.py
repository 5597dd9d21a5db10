"""The deployment example works: nginx accepts deploy/nginx/roomclaim.conf (`nginx -t`),
and through it, over TLS, a teacher logs in and claims a room on the HTTP processes
(gunicorn, config/wsgi.py) and hears about it on a socket of a live process (daphne),
as in production (HTTPS on)."""

import json
import re
import shutil
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection
from websockets.sync.client import connect

from tests.factories import PASSWORD, at, local, make_room, make_teacher
from tests.servers import ROOT, DaphneServers, collectstatic, free_port, gunicorn_command, production_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "roomclaim.conf"


EXAMPLE_PORTS = ("127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8101", "127.0.0.1:8102")
GUNICORN = gunicorn_command(threads=4)


def render_site(folder: Path, *, app_ports: list[int], http: int, https: int) -> Path:
    """The example site with this test's ports, name and certificate; nothing else changed."""
    text = SITE.read_text()
    for example, port in zip(EXAMPLE_PORTS, app_ports, strict=True):
        text = text.replace(example, f"127.0.0.1:{port}")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http};").replace(
        "listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"
    )
    text = text.replace("rooms.school.example", "localhost")
    text = text.replace("/etc/letsencrypt/live/localhost/fullchain.pem", str(folder / "cert.pem"))
    text = text.replace("/etc/letsencrypt/live/localhost/privkey.pem", str(folder / "key.pem"))
    site = folder / "roomclaim.conf"
    site.write_text(text)
    main = folder / "nginx.conf"
    main.write_text(
        f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {site};
}}
"""
    )
    return main


def self_signed_certificate(folder: Path) -> None:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("nginx exited")
        try:
            httpx.get(f"https://127.0.0.1:{port}/healthz", verify=False, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("nginx did not start")


@pytest.fixture
def behind_nginx():
    if not Path(NGINX).exists():
        pytest.exit(f"The deployment test needs nginx at {NGINX}: apt-get install nginx-light.", returncode=3)
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    from django.conf import settings

    env = production_env(
        database_url=database_url,
        redis_url=settings.REDIS_URL,
        HTTPS="true",  # as in production: secure cookies, HSTS, the proxy's X-Forwarded-Proto trusted
        TRUSTED_PROXY_COUNT="1",
        DB_POOL_MAX="4",
        SCHOOL_SETTINGS_SECONDS="0",
    )
    collectstatic(env)
    with (
        tempfile.TemporaryDirectory() as tmp,
        DaphneServers(env, count=2, command=GUNICORN) as http_processes,
        DaphneServers(env, count=2) as live_processes,
    ):
        folder = Path(tmp)
        self_signed_certificate(folder)
        http, https = free_port(), free_port()
        ports = [*http_processes.ports, *live_processes.ports]
        main = render_site(folder, app_ports=ports, http=http, https=https)
        checked = subprocess.run(
            [NGINX, "-t", "-p", str(folder), "-c", str(main)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(main)], stderr=subprocess.DEVNULL)
        try:
            wait_for_port(https, nginx)
            yield f"https://localhost:{https}", http
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


@pytest.fixture
def teacher_and_room():
    return make_teacher("Alice Adams"), make_room("Room 101")


def test_nginx_proxies_a_claim_and_a_socket_to_two_server_processes(behind_nginx, teacher_and_room):
    # Synchronous on purpose: the browser tests keep Playwright's event loop running in
    # this thread for the whole session.
    base, http_port = behind_nginx
    teacher, room = teacher_and_room
    # Plain HTTP is sent to HTTPS.
    redirect = httpx.get(f"http://127.0.0.1:{http_port}/", headers={"Host": "localhost"})
    assert redirect.status_code == 301 and redirect.headers["location"].startswith("https://localhost/")

    with httpx.Client(base_url=base, verify=False, headers={"Accept": "application/json"}) as client:
        page = client.get("/accounts/login/", headers={"Accept": "text/html"})
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        logged_in = client.post(
            "/accounts/login/",
            data={"username": teacher.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Accept": "text/html", "Referer": f"{base}/accounts/login/"},
        )
        assert logged_in.status_code == 302
        tls = ssl.create_default_context()
        tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
        with connect(
            base.replace("https://", "wss://") + "/ws/bookings/",
            origin=base,
            additional_headers={"Cookie": f"sessionid={client.cookies['sessionid']}"},
            ssl=tls,
        ) as socket:
            response = client.post(
                f"/rooms/{room.pk}/claim/",
                data={"start": local(at(10)), "end": local(at(11))},
                headers={"X-CSRFToken": client.cookies["csrftoken"], "Referer": f"{base}/"},
            )
            assert response.status_code == 201, response.text
            assert response.headers["strict-transport-security"].startswith("max-age=")  # HTTPS as production
            while (frame := json.loads(socket.recv(timeout=5)))["event"] != "bookingCreated":
                pass
            assert frame["data"]["id"] == response.json()["booking"]["id"]


def test_behind_nginx_each_client_is_limited_by_its_own_address_not_the_proxys(behind_nginx):
    """Five clients on five loopback addresses fail a login through nginx, each writing a
    false X-Forwarded-For first: each is counted under the address nginx saw, none under
    the proxy's or the false one."""
    from teachers.models import ThrottleEvent

    base, _ = behind_nginx
    sources = [f"127.0.0.{number}" for number in range(2, 7)]
    for source in sources:
        transport = httpx.HTTPTransport(local_address=source, verify=False)
        with httpx.Client(
            base_url=base, transport=transport, headers={"X-Forwarded-For": "203.0.113.9"}
        ) as client:
            page = client.get("/accounts/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            failed = client.post(
                "/accounts/login/",
                data={"username": f"nobody-{source}", "password": "wrong", "csrfmiddlewaretoken": token},
                headers={"Referer": f"{base}/accounts/login/"},
            )
            assert failed.status_code == 200
    assert set(ThrottleEvent.objects.values_list("key", flat=True)) == set(sources)
