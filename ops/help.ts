/** Usage of `npm run ops` and of each command: everything a command accepts is here. */

const common = `Common options:
  --stack <name>   the stack (required): Pulumi.<name>.yaml gives the app and aws:region
  --json           machine-readable output instead of tables
  --help, -h       this help`;

export const overview = `npm run ops -- <command> --stack <name> [options]

Day-2 commands for a stack deployed by this program. They need AWS credentials only (the SDK's
default chain: AWS_PROFILE, AWS_ACCESS_KEY_ID…, SSO; AWS_REGION and AWS_ENDPOINT_URL are
honoured), never the Pulumi backend: the program records what they need in SSM under
/<app>/<stack> (ledger, running pointer, ops record). No command prints a secret value.

Commands:
  releases                      every release in the ledger, newest first
  release <id>                  one release in full: image, processes, keys and their hashes
  rollback <id> | --clear       pin a release in the stack file (then deploy through CI, or --deploy)
  run <process> [-- cmd…]       a one-off task of a process, logs streamed, exits with its exit code
  logs [process]                the stack's logs, by process and release; --follow to tail
  exec <process> [-- cmd…]      a shell (or command) in a running task (ECS Exec)
  prune --keep <N>              delete the oldest releases' parameters (dry run unless --yes)

${common}

Run \`npm run ops -- <command> --help\` for a command's options. Exit codes: 0 done, 1 failed,
2 usage or setup (credentials, region, stack file), 3 not found (release, stack never deployed),
4 refused (a safety check), 124 timed out; run exits with the task's own exit code.
`;

export const commands: Record<string, string> = {
    releases: `npm run ops -- releases --stack <name> [--json]

Every release in the ledger (/<app>/<stack>/ledger), newest first: id; when and by whom it was
written (SSM's LastModifiedDate and LastModifiedUser of its ledger entry); the image digest
(short); what changed against the release before it (image, and config keys by name: +added
~changed -removed; values are never read); its migration head; and whether it is running,
previous (from /<app>/<stack>/running) or pinned (release.pin in the stack file).

${common}
`,
    release: `npm run ops -- release <id> --stack <name> [--json]

One release in full: image and digest, what it was built from, migration head, who wrote it and
when, its processes (command, port, health check, phase), and every config key with its value
hash (secret keys marked; hashes only, values are never read), and whether its parameters still
exist (a pruned release cannot run again).

${common}
`,
    rollback: `npm run ops -- rollback <id> --stack <name> [--deploy] [--dry-run] [--yes]
npm run ops -- rollback --clear --stack <name> [--deploy] [--dry-run] [--yes]

Pins release <id> by writing twelve-factor:release.pin into Pulumi.<stack>.yaml (comments and
layout kept), after checking that every parameter of that release still exists. Without
--deploy it prints the next step for teams that deploy through CI: commit, review, deploy.

  --deploy     deploy at once through the Pulumi Automation API (pulumi up of this stack,
               progress streamed); needs the pulumi CLI and its backend, like pulumi up
  --dry-run    print exactly what would be written and run, change nothing
  --clear      remove the pin: the newest release runs again (shows what that runs first)
  --yes        confirm without asking (rolling back across a migration asks: the database
               is not rolled back)

${common}
`,
    run: `npm run ops -- run <process> --stack <name> [--release <id>] [--timeout 30m] [-- command…]

Runs a one-off Fargate task of <process>'s task definition of the running release (or of
--release <id>), in the stack's task subnets with its task security group (as recorded in
/<app>/<stack>/ops), optionally with another command. Shows the task's states, streams its logs
live, and exits with the container's exit code. At the timeout, or on Ctrl-C, the task is
stopped (exit 124 on timeout).

  --release <id>    run that release's task definition (its parameters must still exist)
  --timeout <dur>   give up after this long (default 30m; 30s, 10m, 2h)
  -- command…       the command instead of the process's own (exec form, no shell)

${common}
`,
    logs: `npm run ops -- logs [process] --stack <name> [--release <id>] [--since 10m] [--follow]

The stack's CloudWatch Logs (/ecs/<app>-<stack>), filtered by process and release (log streams
are named <process>/<release>/<container>/<task-id>).

  --release <id>    only that release's tasks
  --since <dur>     from this long ago (default 10m; 30s, 2h, 1d)
  --follow, -f      keep printing new events until Ctrl-C
  --limit <n>       at most n events (not with --follow)

${common}
`,
    exec: `npm run ops -- exec <process> --stack <name> [--task <id>] [-- command…]

ECS Exec into a running task of <process> (default command /bin/sh): the session is opened with
ecs:ExecuteCommand and handed to AWS's session-manager-plugin, which must be on PATH. The stack
must have exec enabled (recorded in /<app>/<stack>/ops); the command says so when it is not.

  --task <id>   that task (default: the first running task of the process's service)
  -- command…   what to run (default /bin/sh)

${common}
`,
    prune: `npm run ops -- prune --keep <N> --stack <name> [--older-than <days>] [--yes] [--no-count]

Deletes the parameters and ledger entries of the oldest releases, keeping the newest <N> and
always the running, previous and pinned releases. A dry run unless --yes: it lists what it would
delete and keep. Deletes in SSM's batches of 10, each release's parameters before its ledger
entry. Then reports how many standard parameters the account and region use out of SSM's
10,000 (one DescribeParameters call per 50 parameters; --no-count skips it).

  --keep <N>            newest releases to keep (besides running, previous and pinned)
  --older-than <days>   only releases whose ledger entry is older than this
  --yes                 delete (without it nothing is deleted)
  --no-count            skip counting the account's standard parameters

${common}
`,
};
