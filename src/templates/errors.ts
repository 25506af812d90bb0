/**
 * What can go wrong with a template, and the bounds every evaluation runs under. Workers' clock does not advance
 * while JavaScript runs without I/O, so time is bounded by counting: evaluation steps, characters produced (output
 * and strings built), and `#foreach` iterations. A template past a bound fails with TemplateLimitError; the
 * gateway answers 500 with Amazon's body, never hangs, and never shows the template or the value.
 */

/** A problem found when compiling a template, with its position (1-based line and column). */
export interface TemplateProblem {
  message: string;
  line: number;
  column: number;
}

/** A template that failed while rendering (a method that threw, invalid JSON for parseJson …). */
export class TemplateRuntimeError extends Error {
  constructor(message: string, readonly line?: number, readonly column?: number) {
    super(line ? `${message} (line ${line}, column ${column})` : message);
    this.name = "TemplateRuntimeError";
  }
}

/** A template that went past one of its bounds. */
export class TemplateLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateLimitError";
  }
}

export interface TemplateLimits {
  /** Evaluation steps (references, directives, method calls, loop iterations). */
  maxSteps: number;
  /** Characters of output and of strings the template builds, together. */
  maxChars: number;
  /** Iterations of one `#foreach` before it stops (Amazon's limit: 1,000; Velocity's `directive.foreach.maxloops`). */
  maxLoop: number;
  /** Nested macro calls. */
  maxDepth: number;
}

/**
 * Bounds by default: Amazon's 1,000 iterations per loop, a 10 MB payload, and a step budget that lets a template
 * walk a large payload (10,000s of elements) but keeps a runaway one to a few tens of milliseconds of CPU.
 */
export const DEFAULT_LIMITS: TemplateLimits = { maxSteps: 500_000, maxChars: 10 * 1024 * 1024, maxLoop: 1000, maxDepth: 20 };

/** Counts one evaluation's work against its limits. */
export class Budget {
  steps = 0;
  chars = 0;
  constructor(readonly limits: TemplateLimits) {}

  step(n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) throw new TemplateLimitError(`more than ${this.limits.maxSteps} evaluation steps`);
  }

  /** Counts characters produced; returns the string for chaining. */
  produce(s: string): string {
    this.chars += s.length;
    if (this.chars > this.limits.maxChars) throw new TemplateLimitError(`more than ${this.limits.maxChars} characters produced`);
    return s;
  }
}
