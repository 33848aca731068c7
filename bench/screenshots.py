"""Screenshots of the key pages, from a fresh demo database, at desktop and phone widths.

Reproducible: a new SQLite database in /tmp, ``migrate``, ``load_geography``, ``seed_demo`` (the
same seed every time), then ``manage.py runserver`` on a free port, and Debian's Chromium driven
by Playwright logs in as each demo role (the logins ``seed_demo`` prints; one shared password).

    .venv/bin/python bench/screenshots.py                # everything, into docs/screenshots/
    .venv/bin/python bench/screenshots.py --reuse-db     # skip the seeding if the database exists
    .venv/bin/python bench/screenshots.py --only landing,shift-board

Pictures: ``<name>.png`` at 1280×800 and ``<name>-phone.png`` at 375×740, the whole page but cut
at 1600 px (desktop) / 2400 px (phone) so the committed files stay small; they are reduced to a
256-colour palette with Pillow (no external optimiser needed). The browser asks for French, the
platform's first language; ``landing-en`` shows the English version chosen with the switcher.
Names already used in docs/screenshots by other scripts (``ars-dashboard.png``, ``contract-*``) are
never written: the dashboard here is ``ars-dashboard-demo``, the contract ``contract-demo``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
VIEWPORTS = {"": (1280, 800, 1600), "-phone": (375, 740, 2400)}  # suffix: (width, height, max height)
DEMO_PASSWORD = "demo-ville-hopital"  # noqa: S105 (the public demo password seed_demo prints)
DEMO_TOTP_SECRET = "VILLEHOPITALDEMOVILLEHOPITALDEMO"  # noqa: S105 (the demo's printed TOTP key, ville_hopital.demo)


@dataclass(frozen=True)
class Shot:
    name: str
    role: str  # "anonymous", "pro", "hr", "ars"
    path: str  # a URL path, or "@<finder>" resolved in the browser (see _resolve)
    title: str  # the gallery caption
    language: str = "fr"


SHOTS = [
    Shot("landing", "anonymous", "/", "Landing page (anonymous visitor)"),
    Shot("landing-en", "anonymous", "/", "Landing page in English (language switcher)", language="en"),
    Shot("signup", "anonymous", "/accounts/signup/", "Sign-up form"),
    Shot("login", "anonymous", "/accounts/login/", "Sign-in form"),
    Shot("pro-home", "pro", "/pro/", "Professional home"),
    Shot("availability-calendar", "pro", "/pro/disponibilites/", "Availability calendar (month grid and shortcuts)"),
    Shot("proposals", "pro", "/missions/propositions/", "Proposals inbox"),
    Shot("my-missions", "pro", "/missions/mes-missions/", "My missions"),
    Shot("open-shifts", "pro", "/missions/vacations-ouvertes/", "Open shifts of my region, with why-not links"),
    Shot("contracts-pro", "pro", "/missions/contrats/", "My contracts (both parties see theirs)"),
    Shot("notifications", "pro", "/notifications/", "Notification centre"),
    Shot("contract-demo", "pro", "@contract", "A contract page (the professional's side)"),
    Shot("establishment-home", "hr", "/etablissement/", "Establishment home (units, upcoming shifts)"),
    Shot("post-shift", "hr", "@post-shift", "Post-a-shift form"),
    Shot("shift-board", "hr", "@shift-board", "HR shift board"),
    Shot("ars-dashboard-demo", "ars", "/ars/", "ARS dashboard, Occitanie (demo data)"),
]


CONTRACTS_DEMO = """
import random
from missions.contracts.models import Contract
from ville_hopital.demo import DemoContext
if not Contract.objects.exists():
    from missions import demo_contracts as demo
    demo.seed(DemoContext(rng=random.Random(2026), size=1))
    from dashboards.services import aggregates_rebuild
    aggregates_rebuild()  # the dashboards step ran before these bookings
print(Contract.objects.count(), "contracts")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def demo_logins(seed_output: str) -> dict[str, str]:
    """Role → e-mail, from the lines seed_demo prints (``  <role>   <email>``)."""
    emails = re.findall(r"^\s+(.+?)\s{2,}(\S+@\S+)$", seed_output, flags=re.MULTILINE)
    found: dict[str, str] = {}
    for label, email in emails:
        if label.startswith("Agent ARS"):
            found["ars"] = email
        elif label.startswith("RH établissement"):
            found["hr"] = email
        elif label.startswith(("Professionnel", "Infirmière (")):  # the nurse of the pro pictures
            found["pro"] = email
    return found


def prepare_database(env: dict, db_path: Path, reuse: bool) -> dict[str, str]:
    logins_file = db_path.with_suffix(".logins")
    if reuse and db_path.exists() and logins_file.exists():
        print(f"reusing {db_path}")
        return demo_logins(logins_file.read_text())
    db_path.unlink(missing_ok=True)
    started = time.monotonic()
    manage(env, "migrate", "-v0")
    manage(env, "load_geography", "-v0")
    output = manage(env, "seed_demo", "-v1")
    # The contracts demo step (missions.demo_contracts) is not in seed_demo's steps yet: run it
    # here when seed_demo left no contract, so the contract page has something to show.
    manage(env, "shell", "-c", CONTRACTS_DEMO)
    logins_file.write_text(output)
    print(f"database ready in {time.monotonic() - started:.0f} s: {db_path}")
    return demo_logins(output)


def start_server(env: dict, port: int) -> subprocess.Popen:
    log = open(f"/tmp/screenshots-runserver-{port}.log", "w")  # noqa: SIM115 (lives as long as the server)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"runserver exited early; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2):
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    sys.exit("runserver did not answer within 60 s")


def demo_totp_code() -> str:
    """What an authenticator app holding the demo's key shows now (ville_hopital.demo.DEMO_TOTP_SECRET)."""
    counter = int(time.time()) // 30
    digest = hmac.new(base64.b32decode(DEMO_TOTP_SECRET), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**6:06d}"


def log_in(browser, base: str, email: str) -> dict:
    """Sign in once through the real form; the session is reused for both viewports."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    if "/accounts/2fa/authenticate/" in page.url:  # staff, ARS, admins and HR: the demo's TOTP key
        page.fill("input[name=code]", demo_totp_code())
        with page.expect_navigation():
            page.press("input[name=code]", "Enter")
    if "/accounts/" in page.url:
        sys.exit(f"could not sign in as {email}")
    state = context.storage_state()
    context.close()
    return state


def _resolve(page, base: str, path: str) -> str:
    """Pages whose address depends on the demo data: follow the links a user would follow."""
    if not path.startswith("@"):
        return f"{base}{path}"
    if path == "@contract":
        page.goto(f"{base}/missions/contrats/")
        link = page.locator("main a[href*='/missions/contrats/']").first
    elif path == "@post-shift":
        page.goto(f"{base}/etablissement/")
        link = page.locator("a[href$='/vacations/nouvelle/']").first
    elif path == "@shift-board":
        page.goto(f"{base}/etablissement/")
        link = page.locator("a[href*='/missions/rh/etablissement/']").first
    else:
        raise ValueError(path)
    if link.count() == 0:
        return ""
    return base + link.get_attribute("href")


def shoot(page, out: Path, width: int, max_height: int) -> tuple[int, int]:
    height = page.evaluate("() => document.documentElement.scrollHeight")
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    page.screenshot(
        path=str(out), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": min(height, max_height)},
        animations="disabled",
    )
    return height, scroll_width


def optimise(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    reduced.save(path, optimize=True)


OTHER_PICTURES = {
    "ars-dashboard.png": "ARS dashboard, desktop (saved by the dashboards browser test)",
    "ars-dashboard-phone.png": "ARS dashboard, phone (saved by the dashboards browser test)",
    "ars-dashboard-demo-year.png": "ARS dashboard over a year of demo history (dashboards docs)",
    "contract-signed.png": "A contract signed by both parties (contracts browser test)",
    "contract-to-sign-phone.png": "A contract waiting for signature, phone (contracts browser test)",
}


def write_gallery(out: Path) -> None:
    """docs/screenshots/README.md: one line per picture, this script's first, then the others'."""
    lines = [
        "# Screenshots",
        "",
        "Made by `bench/screenshots.py` from a fresh `seed_demo` database (Occitanie demo, French UI unless",
        "stated), at 1280×800 (desktop, cut at 1600 px) and 375×740 (phone, cut at 2400 px). Re-run:",
        "`.venv/bin/python bench/screenshots.py` (about 3 minutes; `--reuse-db` skips the seeding).",
        "",
    ]
    for shot in SHOTS:
        for suffix, (width, _, _) in VIEWPORTS.items():
            name = f"{shot.name}{suffix}.png"
            if (out / name).exists():
                lines.append(f"- [{name}]({name}) — {shot.title}, {'phone' if suffix else 'desktop'} ({width} px wide)")
    mine = {f"{shot.name}{suffix}.png" for shot in SHOTS for suffix in VIEWPORTS}
    others = sorted(p.name for p in out.glob("*.png") if p.name not in mine)
    if others:
        lines += ["", "Saved by other scripts and tests:", ""]
        lines += [f"- [{name}]({name}) — {OTHER_PICTURES.get(name, 'see the test that writes it')}" for name in others]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--db", type=Path, default=Path("/tmp/vh_screenshots.sqlite3"))
    parser.add_argument("--reuse-db", action="store_true", help="keep an already seeded database")
    parser.add_argument("--only", default="", help="comma-separated picture names")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium (never `playwright install`).")
    env = {
        **os.environ, "DATABASE_URL": f"sqlite:///{args.db}", "REDIS_URL": "", "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "ville_hopital.settings", "LOG_LEVEL": "WARNING",
    }
    logins = prepare_database(env, args.db, args.reuse_db)
    missing = {"pro", "hr", "ars"} - logins.keys()
    if missing:
        sys.exit(f"seed_demo did not print a login for {sorted(missing)}")
    wanted = {n for n in args.only.split(",") if n}
    shots = [s for s in SHOTS if not wanted or s.name in wanted]
    args.out.mkdir(parents=True, exist_ok=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port)
    report: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            states = {role: log_in(browser, base, email) for role, email in logins.items()}
            for shot in shots:
                for suffix, (width, height, max_height) in VIEWPORTS.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": height}, locale="fr-FR",
                        storage_state=states.get(shot.role),
                    )
                    page = context.new_page()
                    if shot.language != "fr":  # choose the language with the header's switcher, as a user would
                        page.goto(f"{base}/")
                        page.select_option("#lang-select", shot.language)
                        with page.expect_navigation():
                            page.click(".lang button")
                    url = _resolve(page, base, shot.path)
                    if not url:
                        report.append(f"SKIPPED {shot.name}{suffix}: no such link in the demo data")
                        context.close()
                        continue
                    response = page.goto(url)
                    page.wait_for_load_state("networkidle")
                    out = args.out / f"{shot.name}{suffix}.png"
                    full_height, scroll_width = shoot(page, out, width, max_height)
                    optimise(out)
                    overflow = " HORIZONTAL OVERFLOW" if scroll_width > width else ""
                    report.append(
                        f"{out.name:34} HTTP {response.status if response else '?'}  page {width}×{full_height}"
                        f"  scrollWidth {scroll_width}  {out.stat().st_size // 1024} KiB{overflow}"
                    )
                    context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    write_gallery(args.out)
    print("\n".join(report))


if __name__ == "__main__":
    main()
