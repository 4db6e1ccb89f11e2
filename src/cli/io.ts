/** What the CLI talks to: output streams, the environment and process signals, abstracted so tests can capture them. */
export interface CliIo {
  /** Write to standard output (text is written as given; add the newline yourself). */
  stdout(text: string): void;
  /** Write to standard error. */
  stderr(text: string): void;
  /** The environment (`REFIT_URL` and the `REFIT_*` settings are read from here). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** True when standard output is a terminal (progress bars are redrawn in place). */
  readonly isTTY: boolean;
  /**
   * Call `handler` on an interrupt (SIGINT, SIGTERM); returns the function that stops listening.
   * Default (process): both signals.
   */
  onInterrupt(handler: (signal: string) => void): () => void;
}

/** The real process's streams, environment and signals. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
    onInterrupt(handler) {
      const on = (signal: NodeJS.Signals) => handler(signal);
      process.on('SIGINT', on);
      process.on('SIGTERM', on);
      return () => {
        process.off('SIGINT', on);
        process.off('SIGTERM', on);
      };
    },
  };
}
