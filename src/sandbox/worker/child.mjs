// The sandbox child: one Pyodide interpreter serving the parent over newline-delimited JSON on stdin/stdout.
//
// It is started by src/sandbox/process.ts with an empty environment, under Node's permission model (reads limited
// to the Pyodide package, this folder and the snapshot; no writes, child processes or workers; no code generation
// from strings) and, where the OS allows, inside fresh network/pid/mount namespaces and a memory cgroup. Those are
// the boundary. What this script does on top (dropping the `js` modules, capping wasm growth) only narrows what a
// misbehaving call can reach before it meets them.
//
// Plain .mjs on purpose: the child must not need tsx or anything outside the folders it may read.
import { constants, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const config = JSON.parse(process.argv[2] ?? '{}');
const writeOut = process.stdout.write.bind(process.stdout);
const send = (message) => writeOut(JSON.stringify(message) + '\n');
// stdout to a pipe is asynchronous for large writes: exit only once the last message has been handed over.
const sendAndExit = (message, code) => writeOut(JSON.stringify(message) + '\n', () => process.exit(code));

// Emscripten's NODEFS asks for `process.binding("constants")`, which the permission model denies outright.
const originalBinding = process.binding.bind(process);
process.binding = (name) => (name === 'constants' ? { fs: constants } : originalBinding(name));

// Wasm memory is exported by the Pyodide module, so its maximum cannot be lowered; but every growth goes through
// `Memory.prototype.grow` from Emscripten's sbrk, which treats a throw as "out of memory" and makes Python raise
// MemoryError. That turns a memory bomb into an ordinary error long before the cgroup has to kill the process.
const wasmMaxBytes = Number(config.wasmMaxBytes) || 0;
if (wasmMaxBytes > 0) {
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function growCapped(pages) {
    if (this.buffer.byteLength + pages * 65536 > wasmMaxBytes) throw new RangeError('sandbox wasm memory cap reached');
    return grow.call(this, pages);
  };
}

const NEUTER_JS = `
def _god_neuter():
    import sys
    for name in ('js', 'pyodide_js'):
        module = sys.modules.pop(name, None)
        if module is None:
            continue
        for holder in list(sys.modules.values()):
            for key, value in list(getattr(holder, '__dict__', {}).items()):
                if value is module:
                    try:
                        delattr(holder, key)
                    except Exception:
                        pass
_god_neuter()
del _god_neuter
`;

const started = performance.now();
const { loadPyodide } = await import(new URL('pyodide.mjs', 'file://' + config.indexURL).href);
// Pyodide's own stdout/stderr (user prints go to the harness's collector instead); kept short, never forwarded.
const stray = [];
const keepStray = (line) => {
  if (stray.length < 50) stray.push(String(line).slice(0, 1000));
};
const options = {
  indexURL: config.indexURL,
  env: {},
  stdout: keepStray,
  stderr: keepStray,
};
if (config.loadSnapshotPath) options._loadSnapshot = readFileSync(config.loadSnapshotPath);
if (config.makeSnapshot) options._makeSnapshot = true;
const py = await loadPyodide(options);

if (!config.loadSnapshotPath) {
  py.runPython(readFileSync(config.harnessPath, 'utf8'), { filename: '<sandbox-harness>' });
}
if (config.makeSnapshot) {
  // The parent reads the snapshot from our stdout as one base64 line: the child is never allowed to write files.
  const bytes = py.makeMemorySnapshot();
  sendAndExit({ type: 'snapshot', bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') }, 0);
} else {
  await serve();
}

async function serve() {
  if (config.neuterJs !== false) {
    py.unregisterJsModule('js');
    py.unregisterJsModule('pyodide_js');
    // Also drop the modules and every module attribute bound to them, so `import` and the obvious attribute
    // walks find nothing (other JsProxy objects may still be reachable: the process layers are the boundary).
    py.runPython(NEUTER_JS);
  }
  py.runPython(`_god_configure(${JSON.stringify(JSON.stringify(config.python ?? {}))})`);
  const dispatch = py.globals.get('_god_dispatch');

  // The interpreter polls this "buffer" every few dozen bytecodes, and inside long C loops such as big-int pow.
  // Returning 2 (SIGINT) runs the harness's Python-level handler, which raises only when one of its deadlines has
  // passed; so deadlines are checked on the interpreter's own thread without a watchdog thread or worker.
  const tickMs = Number(config.tickMs) || 10;
  let armed = false;
  let lastTick = 0;
  py.setInterruptBuffer({
    get 0() {
      if (!armed) return 0;
      const now = performance.now();
      if (now - lastTick < tickMs) return 0;
      lastTick = now;
      return 2;
    },
    set 0(_value) {},
  });

  send({ type: 'ready', bootMs: Math.round(performance.now() - started), snapshot: Boolean(config.loadSnapshotPath) });

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let id = null;
    try {
      id = JSON.parse(line).id ?? null;
      stray.length = 0;
      armed = true;
      lastTick = performance.now();
      let result;
      try {
        result = dispatch(line);
      } finally {
        armed = false;
      }
      writeOut(result + '\n');
    } catch (error) {
      // A Pyodide fatal error leaves the interpreter unusable: report it and exit so the pool starts a fresh one.
      sendAndExit({ type: 'fatal', id, error: String(error && error.message ? error.message : error).slice(0, 2000) }, 70);
      return;
    }
  }
  process.exit(0);
}
