/** The shape every `portico` command has: its usage text (printed by `--help`) and what it runs. */

export interface Command {
  name: string;
  /** One line for `portico --help`: the arguments, then what it does. */
  synopsis: string;
  summary: string;
  /** Full usage, printed by `portico NAME --help` (exit 0) and after a usage error. */
  usage: string;
  /** Subcommand names, for help and tests (`portico keys create --help`). */
  subcommands?: string[];
  /** Where it is listed in `portico --help`. */
  group: "local" | "deployments";
  run(args: string[]): Promise<number>;
}

/** The options every command that talks to the admin API takes. */
export const CONNECTION_HELP = `connection:
  --url URL        the Worker (default: PORTICO_URL, else http://localhost:8787)
  --token TOKEN    the admin token (default: PORTICO_TOKEN)
  --api NAME       the API (default: PORTICO_API; in portico dev the file's API; else the only deployed API)
  --json           machine-readable output; errors too, as {"error": {...}} on stdout`;
