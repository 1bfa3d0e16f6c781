#!/usr/bin/env python3
"""The palette explorer in a real browser: headless Chromium driven by selenium.

Ingests a dataset into a temporary store, starts `mapsolve serve --port 0` on it, opens the page,
moves a slider with the keyboard and checks that the λ the page shows (its data-lambda attributes,
17 significant digits) are the CLI's `solve --json` λ for the palette the page sent (its
data-palette attribute); drives an unattainable palette and checks the certificate, the ray
adjustment and that applying it gives an attainable palette (by the CLI too); checks that the
frontier chart and the histogram are drawn and that a problem response shows the error box; saves
screenshots at desktop and phone (390 px) width under the build folder.

usage: explorer_test.py MAPSOLVE DATASET.csv[,FALLBACK.csv...] OUTDIR
Exit 0 pass, 1 fail, 77 skip (no Chromium, chromedriver or selenium, and CI is not "true").
"""
import atexit
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

WAIT_S = 60          # the bound on every wait for the page (a failure, never a pacing)
PHONE_W, PHONE_H = 390, 844
DESKTOP_W, DESKTOP_H = 1360, 900


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def skip_or_fail(msg):
    if os.environ.get('CI', '').lower() == 'true':
        fail(msg + ' (CI=true: the browser test must run)')
    print('SKIP: ' + msg, file=sys.stderr)
    sys.exit(77)


def find_browser():
    chromium = next((p for p in (shutil.which(n) for n in ('chromium', 'chromium-browser')) if p), None)
    driver = shutil.which('chromedriver')
    if not chromium or not driver:
        skip_or_fail('chromium or chromedriver not found (Debian: apt-get install chromium chromium-driver)')
    try:
        import selenium  # noqa: F401
    except ImportError:
        skip_or_fail('python3 selenium not importable by %s (Debian: apt-get install python3-selenium)'
                     % sys.executable)
    return chromium, driver


class Server:
    """`mapsolve serve --port 0`; the address is read from its 'listening on' line on stderr."""

    def __init__(self, exe, db):
        self.proc = subprocess.Popen([exe, 'serve', '--port', '0', '--db', db],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.url = None
        self.log = b''
        deadline = time.monotonic() + WAIT_S
        fd = self.proc.stderr.fileno()
        while self.url is None:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                fail('the server printed no "listening on" line within %d s: %r' % (WAIT_S, self.log))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                self.proc.wait()
                fail('the server exited (%s) before listening: %r' % (self.proc.returncode, self.log))
            self.log += chunk
            m = re.search(rb'listening on (http://[^\s]+)', self.log)
            if m:
                self.url = m.group(1).decode().rstrip('/')

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cli_solve(exe, db, dataset, spec):
    """The CLI's solve --json for a palette SPEC; (exit code, document)."""
    p = subprocess.run([exe, '--db', db, 'solve', dataset, '--palette', spec, '--json'],
                       capture_output=True, text=True)
    if p.returncode not in (0, 1):
        fail('mapsolve solve %s --palette %s exited %d: %s' % (dataset, spec, p.returncode, p.stderr))
    return p.returncode, json.loads(p.stdout)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    exe, datasets, outdir = sys.argv[1], sys.argv[2].split(','), sys.argv[3]
    chromium, driver_path = find_browser()
    csv = next((p for p in datasets if os.path.isfile(p)), None)
    if csv is None:
        fail('none of the datasets exists: %s' % ', '.join(datasets))
    os.makedirs(outdir, exist_ok=True)

    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    tmp = tempfile.mkdtemp(prefix='mapsolve-browser-')
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    db = os.path.join(tmp, 'explorer.db')
    name = 'explorer'
    with open(csv, newline='') as f:
        header = f.readline().strip().split(',')
    text_cols = [c for c in header if c in ('generated', 'response')]
    cmd = [exe, '--db', db, 'ingest', csv, '--name', name, '--prompt-column', 'prompt']
    if text_cols:
        cmd += ['--text-columns', ','.join(text_cols)]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        fail('%s exited %d: %s' % (' '.join(cmd), p.returncode, p.stderr))

    server = Server(exe, db)
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--window-size=%d,%d' % (DESKTOP_W, DESKTOP_H), '--user-data-dir=' + os.path.join(tmp, 'chrome')):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    try:
        d = webdriver.Chrome(service=Service(driver_path), options=opts)
    except Exception as e:  # installed but not startable: a failure, not a skip
        server.stop()
        fail('Chromium did not start under chromedriver: %s' % e)
    checks = []

    def ok(what):
        checks.append(what)
        print('ok  ' + what)

    def wait(cond, what):
        try:
            return WebDriverWait(d, WAIT_S, poll_frequency=0.05).until(lambda _: cond())
        except TimeoutException:
            shot('explorer-failure.png')
            fail('timed out after %d s waiting for %s; page state: %s' % (WAIT_S, what, state()))

    def attr(sel, a):
        return d.execute_script('const e = document.querySelector(arguments[0]);'
                                'return e ? e.getAttribute(arguments[1]) : null;', sel, a)

    def state():
        return d.execute_script(
            'const r = document.getElementById("result"), e = document.getElementById("error");'
            'return {state: r.dataset.state, seq: r.dataset.seq, status: r.dataset.status,'
            ' palette: r.dataset.palette, error: e.hidden ? null : e.textContent.trim()};')

    def settled(after_seq):
        """Waits until the solve channel is idle with an answer newer than after_seq."""
        def done():
            s = state()
            return s if s['state'] == 'idle' and int(s['seq']) > after_seq else None
        return wait(done, 'a solve answer newer than #%d' % after_seq)

    def shot(fname, width=None):
        w = width or DESKTOP_W
        d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                          {'width': w, 'height': DESKTOP_H if w == DESKTOP_W else PHONE_H,
                           'deviceScaleFactor': 1, 'mobile': w < 500})
        wait(lambda: d.execute_script('return document.documentElement.dataset.drawnWidth') == str(w),
             'the page redrawn at %d px' % w)
        h = d.execute_script('return document.documentElement.scrollHeight')
        d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                          {'width': w, 'height': h, 'deviceScaleFactor': 1, 'mobile': w < 500})
        path = os.path.join(outdir, fname)
        d.save_screenshot(path)
        d.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})
        print('screenshot ' + path)

    def palette_dict(spec):
        return {k: float(v) for k, v in (kv.split('=', 1) for kv in spec.split(','))}

    def check_lambdas(s, why):
        """The λ and KL the page shows are the CLI's for the palette the page sent."""
        spec = s['palette']
        rc, doc = cli_solve(exe, db, name, spec)
        shown = d.execute_script(
            'const o = {}; for (const tr of document.querySelectorAll("#result-table tbody tr[data-lambda]"))'
            ' o[tr.dataset.name] = tr.dataset.lambda; return o;')
        want = {v['name']: v['lambda'] for v in doc['values']}
        if set(shown) != set(want):
            fail('%s: the page shows λ for %s, the CLI solved %s' % (why, sorted(shown), sorted(want)))
        for k, v in want.items():
            if float(shown[k]) != v:
                fail('%s: λ[%s] shown %s, CLI %r (palette %s)' % (why, k, shown[k], v, spec))
        if doc['status'] != s['status']:
            fail('%s: status shown %s, CLI %s' % (why, s['status'], doc['status']))
        kl = attr('#result', 'data-kl')
        if doc['kl'] is not None and float(kl) != doc['kl']:
            fail('%s: KL shown %s, CLI %r' % (why, kl, doc['kl']))
        codes = d.execute_script('return Array.from(document.querySelectorAll("#warnings li"))'
                                 '.map(li => li.dataset.code);')
        want_codes = [w['code'] for w in doc.get('warnings', [])]
        if codes != want_codes:
            fail('%s: warnings shown %s, CLI %s' % (why, codes, want_codes))
        if d.find_element(By.ID, 'warnings').is_displayed() != bool(want_codes):
            fail('%s: the warnings box is %s' % (why, 'shown' if want_codes == [] else 'hidden'))
        ok('%s: λ %s and warnings %s equal the CLI\'s for %s' % (why, json.dumps(want), want_codes, spec))
        return doc

    try:
        d.get(server.url + '/')
        wait(lambda: d.find_elements(By.CSS_SELECTOR, '#sliders input[type=range]'), 'the sliders')
        s = settled(0)
        ranges = d.find_elements(By.CSS_SELECTOR, '#sliders input[type=range]')
        values = [r.get_attribute('data-name') for r in ranges]
        info = json.loads(subprocess.run([exe, '--db', db, 'describe', name, '--json'], check=True,
                                         capture_output=True, text=True).stdout)
        if values != [v['name'] for v in info['values']]:
            fail('sliders %s, dataset values %s' % (values, [v['name'] for v in info['values']]))
        for r, v in zip(ranges, info['values']):
            if float(r.get_attribute('min')) != v['min'] or float(r.get_attribute('max')) != v['max']:
                fail('slider %s runs %s..%s, the value %r..%r' % (v['name'], r.get_attribute('min'),
                                                                  r.get_attribute('max'), v['min'], v['max']))
            if float(r.get_attribute('data-target')) != v['mean']:
                fail('slider %s starts at %s, not the mean %r' % (v['name'], r.get_attribute('data-target'), v['mean']))
        marks = d.find_elements(By.CSS_SELECTOR, '#sliders .marks .tick')
        if len(marks) != 6 * len(values):
            fail('%d tick marks for %d values (mean and 5 quantiles each)' % (len(marks), len(values)))
        ok('%d sliders from min to max, at the mean, with the mean and quantiles marked' % len(values))
        if s['status'] != 'optimal':
            fail('the means palette: status %s' % s['status'])

        # Count the requests in flight per endpoint from here on: at most one of each at a time.
        d.execute_script('''
            const real = window.fetch, w = window.__flights = {now: {}, max: {}, sent: {}};
            window.fetch = async function (path, init) {
              const k = String(path);
              w.now[k] = (w.now[k] || 0) + 1;
              w.sent[k] = (w.sent[k] || 0) + 1;
              w.max[k] = Math.max(w.max[k] || 0, w.now[k]);
              try {
                if (w.hold && k === '/api/solve') await w.hold;  // a flight the test lands
                return await real.call(window, path, init);
              } finally { w.now[k]--; }
            };''')

        # Keyboard: the right arrow on the first slider, 12 times in a row.
        seq = int(state()['seq'])
        for _ in range(12):
            ranges[0].send_keys(Keys.ARROW_RIGHT)   # focuses the slider, then the key
        want_target = float(ranges[0].get_attribute('value'))

        def moved():
            st = state()
            if st['state'] != 'idle' or int(st['seq']) <= seq:
                return None
            return st if palette_dict(st['palette']).get(values[0]) == want_target else None
        s = wait(moved, 'the answer for %s=%r' % (values[0], want_target))
        if not d.switch_to.active_element.get_attribute('data-name') == values[0]:
            fail('the focus left the slider')
        check_lambdas(s, 'keyboard move of %s' % values[0])

        # One solve in flight, the latest wins: hold a solve in flight (the fetch waits for the
        # test), move the slider again until the page has a newer palette queued, then land it.
        d.execute_script('const w = window.__flights; w.hold = new Promise((r) => { w.land = r; });'
                         'w.sent["/api/solve"] = 0;')
        seq = int(state()['seq'])
        ranges[0].send_keys(Keys.ARROW_RIGHT)
        wait(lambda: d.execute_script('return window.__flights.now["/api/solve"]') == 1, 'a solve in flight')
        for _ in range(3):
            ranges[0].send_keys(Keys.ARROW_LEFT)
        def queued():
            if d.execute_script('return window.__flights.max["/api/solve"]') > 1:
                fail('a second solve was sent while one was in flight')
            return attr('#result', 'data-queued') == 'true'
        wait(queued, 'a newer palette queued behind the flight')
        want_target = float(ranges[0].get_attribute('value'))
        d.execute_script('const w = window.__flights; w.hold = null; w.land();')
        s = wait(moved, 'the answer for %s=%r after the held flight' % (values[0], want_target))
        flights = d.execute_script('return window.__flights')
        if flights['max'].get('/api/solve', 0) != 1 or flights['sent']['/api/solve'] != 2:
            fail('solve requests: %d sent, %d in flight at once; expected 2 and 1'
                 % (flights['sent']['/api/solve'], flights['max'].get('/api/solve', 0)))
        check_lambdas(s, 'the latest palette after a held flight')
        ok('moves during a flight: one request queued, never two in flight, the latest shown')
        lam0 = float(attr('#result-table tbody tr[data-name="%s"]' % values[0], 'data-lambda'))
        if not lam0 > 0:
            fail('moving %s above its mean left λ = %r' % (values[0], lam0))

        # An unchecked value is left free: the palette sent no longer names it.
        seq = int(s['seq'])
        d.find_element(By.ID, 'inc-%d' % (len(values) - 1)).send_keys(Keys.SPACE)
        s = settled(seq)
        if values[-1] in palette_dict(s['palette']):
            fail('unticked %s is still in the palette %s' % (values[-1], s['palette']))
        check_lambdas(s, 'with %s free' % values[-1])

        # The frontier chart and the histogram are drawn.
        wait(lambda: attr('#frontier-chart', 'data-state') == 'idle' and
             d.find_elements(By.CSS_SELECTOR, '#frontier-chart svg polyline.frontier-line'), 'the frontier chart')
        npts = len(d.find_elements(By.CSS_SELECTOR, '#frontier-chart svg g.series circle.frontier-pt'))
        if npts < 3 or not d.find_elements(By.CSS_SELECTOR, '#frontier-chart svg g.series .cur-pt') \
                or not d.find_elements(By.CSS_SELECTOR, '#frontier-chart svg g.series .ref-pt'):
            fail('the frontier chart has %d points and lacks the current or the reference point' % npts)
        ok('frontier chart: %d points, the reference and the current point' % npts)
        bins = int(d.find_element(By.ID, 'hbins').get_attribute('value'))
        wait(lambda: attr('#histogram-chart', 'data-state') == 'idle' and
             len(d.find_elements(By.CSS_SELECTOR, '#histogram-chart svg g.series rect.bar-tilt')) == bins,
             'the histogram with %d tilted bars' % bins)
        nref = len(d.find_elements(By.CSS_SELECTOR, '#histogram-chart svg g.series rect.bar-ref'))
        if nref != bins:
            fail('the histogram has %d reference bars for %d bins' % (nref, bins))
        ok('histogram: %d reference and %d tilted bars' % (nref, bins))
        shot('explorer-desktop.png')

        # An unattainable palette: the first three sliders to their maximum (End key).
        seq = int(state()['seq'])
        for i in range(min(3, len(values))):
            r = d.find_element(By.ID, 's-%d' % i)
            r.send_keys(Keys.END)
        s = settled(seq)
        wait(lambda: state()['palette'] and all(
            palette_dict(state()['palette'])[values[i]] == float(d.find_element(By.ID, 's-%d' % i).get_attribute('value'))
            for i in range(min(3, len(values)))) and state()['state'] == 'idle', 'the palette at the maxima')
        s = state()
        if s['status'] != 'infeasible':
            fail('the maxima palette %s: status %s, expected infeasible' % (s['palette'], s['status']))
        rc, doc = cli_solve(exe, db, name, s['palette'])
        if doc['status'] != 'infeasible' or rc != 1:
            fail('the CLI says %s (exit %d) for %s' % (doc['status'], rc, s['palette']))
        if not d.find_element(By.ID, 'infeasible').is_displayed():
            fail('the certificate panel is hidden')
        gap = attr('#cert-list', 'data-gap')
        if gap is None or float(gap) != doc['certificate']['gap']:
            fail('certificate gap shown %s, CLI %r' % (gap, doc['certificate']['gap']))
        dirs = d.find_elements(By.CSS_SELECTOR, '#cert-list [data-direction]')
        if len(dirs) != len(doc['certificate']['direction']):
            fail('%d certificate directions shown, CLI %d' % (len(dirs), len(doc['certificate']['direction'])))
        ok('unattainable palette: certificate with gap %s and %d directions' % (gap, len(dirs)))
        button = d.find_element(By.ID, 'apply-adjust')
        wait(lambda: attr('#adjust', 'data-state') == 'idle' and button.is_enabled(), 'the ray adjustment')
        adjusted = attr('#adjust', 'data-palette')
        ok('ray adjustment offered: %s (rho %s)' % (adjusted, attr('#adjust', 'data-rho')))
        shot('explorer-infeasible.png')

        seq = int(state()['seq'])
        button.send_keys(Keys.ENTER)   # the button, by keyboard
        s = settled(seq)
        if s['status'] != 'optimal':
            fail('the applied adjustment %s: status %s' % (s['palette'], s['status']))
        sent, offered = palette_dict(s['palette']), palette_dict(adjusted)
        if any(sent.get(k) != v for k, v in offered.items()):
            fail('applied palette %s differs from the adjustment %s' % (s['palette'], adjusted))
        if d.find_element(By.ID, 'infeasible').is_displayed():
            fail('the certificate panel stays after an attainable palette')
        check_lambdas(s, 'applied adjustment')
        flights = d.execute_script('return window.__flights')
        if any(n > 1 for n in flights['max'].values()):
            fail('more than one request of a kind in flight at once: %s' % flights['max'])
        ok('requests sent %s, never two of a kind in flight' % json.dumps(flights['sent'], sort_keys=True))

        # The address carries the palette: opened afresh, it gives the same palette and λ.
        before = state()
        lam = d.execute_script('const o = {}; for (const tr of document.querySelectorAll('
                               '"#result-table tbody tr[data-lambda]")) o[tr.dataset.name] = tr.dataset.lambda; return o;')
        d.get(d.current_url)
        wait(lambda: d.find_elements(By.CSS_SELECTOR, '#sliders input[type=range]'), 'the sliders again')
        s = settled(0)
        if s['palette'] != before['palette']:
            fail('reopened %s: palette %s, before %s' % (d.current_url, s['palette'], before['palette']))
        check_lambdas(s, 'reopened from the address')
        lam2 = d.execute_script('const o = {}; for (const tr of document.querySelectorAll('
                                '"#result-table tbody tr[data-lambda]")) o[tr.dataset.name] = tr.dataset.lambda; return o;')
        if lam2 != lam:
            fail('reopened: λ %s, before %s' % (lam2, lam))
        cmd = d.find_element(By.ID, 'cli').get_attribute('textContent')
        if ('--palette ' + s['palette']) not in cmd:
            fail('the command line shown (%s) is not the palette sent (%s)' % (cmd, s['palette']))
        ok('the address reopens the same palette; the command line shown names it')

        # Phone width: nothing wider than the screen.
        d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                          {'width': PHONE_W, 'height': PHONE_H, 'deviceScaleFactor': 1, 'mobile': True})
        wait(lambda: d.execute_script('return document.documentElement.dataset.drawnWidth') == str(PHONE_W),
             'the page redrawn at phone width')
        sw = d.execute_script('return document.documentElement.scrollWidth')
        if sw > PHONE_W:
            fail('at %d px the page is %d px wide' % (PHONE_W, sw))
        ok('at %d px wide nothing overflows' % PHONE_W)
        shot('explorer-phone.png', PHONE_W)

        # A problem response (an unknown dataset) shows the error box.
        d.execute_script('const s = document.getElementById("dataset"), o = document.createElement("option");'
                         'o.value = o.textContent = "no-such-dataset"; s.appendChild(o); s.value = o.value;'
                         's.dispatchEvent(new Event("change"));')
        wait(lambda: d.find_element(By.ID, 'error').is_displayed(), 'the error box')
        status = attr('#error', 'data-status')
        if status != '404':
            fail('the error box shows status %s for an unknown dataset, expected 404: %s'
                 % (status, d.find_element(By.ID, 'error').text))
        ok('problem response shown: %s' % d.find_element(By.ID, 'error').text.replace('\n', ' '))
        shot('explorer-error.png')
        d.execute_script('const s = document.getElementById("dataset"); s.value = arguments[0];'
                         's.dispatchEvent(new Event("change"));', name)
        wait(lambda: not d.find_element(By.ID, 'error').is_displayed() and state()['state'] == 'idle',
             'the page back on the dataset')

        # The dataset removed by another process: the next move gets a problem (404), shown.
        p = subprocess.run([exe, '--db', db, 'remove', name], capture_output=True, text=True)
        if p.returncode != 0:
            fail('mapsolve remove exited %d: %s' % (p.returncode, p.stderr))
        seq = int(state()['seq'])
        d.find_element(By.ID, 's-0').send_keys(Keys.ARROW_LEFT)
        s = settled(seq)
        if s['status'] != 'error' or not s['error'] or attr('#error', 'data-status') != '404':
            fail('a solve on a removed dataset: %s, error box status %s' % (s, attr('#error', 'data-status')))
        ok('a dataset removed meanwhile: the error box says %s' % s['error'].replace('\n', ' '))

        # 404s were asked for above; anything else in the console is a fault of the page
        errors = [e for e in d.get_log('browser') if e['level'] == 'SEVERE' and 'status of 404' not in e['message']]
        if errors:
            fail('the browser console has errors: %s' % errors)

        print('PASS: %d checks' % len(checks))
    finally:
        d.quit()
        server.stop()


if __name__ == '__main__':
    main()
