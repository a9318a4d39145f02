/** The console's one style sheet (served as /console/assets/console.css): readable on a laptop, visible focus. */
export const CONSOLE_CSS = `
:root { --fg: #1d2228; --muted: #59616b; --line: #d5d9de; --accent: #0b5cad; --bad: #a4161a; --good: #1b6e34; --warn: #8a5a00; --bg: #fff; --band: #f3f5f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; } .skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .3rem .6rem; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .5rem 1.25rem; background: #18324d; color: #fff; }
header.top a { color: #fff; }
header.top .brand { font-weight: 700; margin-right: 1rem; text-decoration: none; }
header.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
header.top .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; font-size: .9rem; }
header.top .who button { background: transparent; color: #fff; border: 1px solid #fff; border-radius: 4px; padding: .2rem .6rem; cursor: pointer; }
main { padding: 1rem 1.25rem 3rem; max-width: 1400px; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; } h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .85rem; word-break: break-all; }
form.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end; margin-bottom: 1rem; padding: .75rem; background: var(--band); border-radius: 6px; }
form.filters label, .field label { display: block; font-size: .85rem; color: var(--muted); margin-bottom: .15rem; }
input, select, button { font: inherit; }
input[type=text], input[type=password], select { padding: .3rem .45rem; border: 1px solid #8a939c; border-radius: 4px; min-width: 10rem; }
button.primary, .button { background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: .4rem .9rem; cursor: pointer; text-decoration: none; display: inline-block; }
button.primary:disabled { background: #8a939c; }
.card { max-width: 30rem; margin: 3rem auto; padding: 1.5rem 2rem; border: 1px solid var(--line); border-radius: 8px; }
.card .field { margin-bottom: .9rem; } .card input { width: 100%; }
.notice { padding: .6rem .8rem; border-radius: 4px; background: #fdf0d5; border: 1px solid #e8c46d; margin: .5rem 0 1rem; }
.error { padding: .6rem .8rem; border-radius: 4px; background: #fbe3e4; border: 1px solid #e3a1a4; color: var(--bad); margin: .5rem 0 1rem; }
.status { display: inline-block; padding: 0 .45rem; border-radius: 3px; font-size: .82rem; background: var(--band); border: 1px solid var(--line); }
.status-active, .status-good, .status-success, .status-succeeded { color: var(--good); border-color: #9fd0ab; background: #e6f4e9; }
.status-killed, .status-bad, .status-failure, .status-missing, .status-deleted, .status-failed { color: var(--bad); border-color: #e3a1a4; background: #fbe3e4; }
.status-importing, .status-saving, .status-processing, .status-running, .status-uploading { color: var(--warn); border-color: #e8c46d; background: #fdf0d5; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(28rem, 1fr)); gap: 0 2rem; }
.job { padding: .6rem 0; border-bottom: 1px solid var(--line); }
.job progress { width: 100%; height: 1.1rem; }
.job .facts { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; font-size: .88rem; color: var(--muted); }
.muted { color: var(--muted); }
.chart { width: 100%; max-width: 60rem; height: auto; border: 1px solid var(--line); background: #fff; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin-bottom: 1rem; }
.legend { font-size: .85rem; color: var(--muted); }
`;
