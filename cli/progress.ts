/**
 * Progress for work slower than a second — build, deploy, and later import and bench — on stderr, so stdout keeps
 * only the result (`--json` output stays one document). On a terminal: a spinner with the current step and the
 * seconds spent, erased when done. Elsewhere (CI logs, pipes, tests): nothing for work that ends within a second,
 * else one line when it passes a second, one per later step, and one with the time it took.
 */

export interface Progress {
  /** The step now running ("bundling with wrangler"). */
  step(text: string): void;
  /** Items done so far, of `total` when known (imports, benchmark runs). */
  count(done: number, total?: number): void;
  /** Stops the display; `summary` is printed on a non-terminal stream when progress was shown. */
  end(summary?: string): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Work that ends sooner shows nothing on a non-terminal stream (default 1000 ms). */
  quietMs?: number;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function startProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const started = Date.now();
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  let step = "";
  let counter = "";
  let shown = false;
  let frame = 0;
  const describe = () => [label, step, counter].filter(Boolean).join(": ");

  if (stream.isTTY) {
    const draw = () => stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${describe()}… ${seconds()}`);
    const timer = setInterval(draw, 80);
    timer.unref();
    return {
      step: (text) => void (step = text),
      count: (done, total) => void (counter = total === undefined ? `${done}` : `${done}/${total}`),
      end() {
        clearInterval(timer);
        stream.write("\r\x1b[2K");
      },
    };
  }

  const line = (text: string) => stream.write(`portico: ${text}\n`);
  const timer = setTimeout(() => {
    shown = true;
    line(`${describe()}…`);
  }, options.quietMs ?? 1000);
  timer.unref();
  return {
    step(text) {
      step = text;
      if (shown) line(`${describe()}…`);
    },
    count(done, total) {
      counter = total === undefined ? `${done}` : `${done}/${total}`;
    },
    end(summary) {
      clearTimeout(timer);
      if (shown) line(`${summary ?? `${label}: done`} (${seconds()})`);
    },
  };
}

/** Runs `work` under a progress display labelled `label`; `work` may report steps through the Progress it gets. */
export async function withProgress<T>(label: string, work: Promise<T> | ((progress: Progress) => Promise<T>), options?: ProgressOptions): Promise<T> {
  const progress = startProgress(label, options);
  try {
    const result = await (typeof work === "function" ? work(progress) : work);
    progress.end();
    return result;
  } catch (err) {
    progress.end(`${label}: failed`);
    throw err;
  }
}
