import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Command } from 'commander';
import * as tar from 'tar';
import type { GraphqlClient } from '../client/api.ts';
import { sha256OfFile, uploadArtifact } from '../client/artifacts.ts';
import { UsageError } from '../client/settings.ts';
import { exitCodeOfOutcome, outcomeOf, readBuild } from '../cli/builds.ts';
import { commandContext, withJson } from '../cli/context.ts';
import { exitCodesHelp } from '../cli/exitCodes.ts';
import { followLog } from '../cli/follow.ts';
import { choiceOption, integerOption, keyValueOption } from '../cli/optionParsers.ts';
import { formatLogLine, paintStatus, printJson, say } from '../cli/output.ts';
import { transferProgress } from '../cli/progress.ts';
import { consoleUrl } from '../cli/references.ts';
import { downloadResult } from '../cli/resultDownload.ts';
import { typeFields } from '../cli/schemaFeatures.ts';

interface SubmitOptions {
  platform: string;
  certs?: string;
  priority?: number;
  meta?: [string, string][];
  label?: [string, string][];
  idempotencyKey?: string;
  timeout?: number;
  wait?: boolean;
  download?: string;
}

/** The archives an agent unpacks. */
const ARCHIVE = /\.(tar\.gz|tgz|zip)$/i;

/**
 * Packs a directory into `<temp dir>/<name>.tar.gz` (without `.git`; symbolic links stored as
 * the files they point to, since agents refuse links). Returns the archive's path.
 */
async function packDirectory(directory: string, tempDir: string): Promise<string> {
  const file = path.join(tempDir, `${path.basename(path.resolve(directory)) || 'source'}.tar.gz`);
  await tar.create(
    {
      gzip: true,
      file,
      cwd: directory,
      portable: true,
      follow: true,
      filter: (entry) => !/(^|\/)\.git(\/|$)/.test(entry.replace(/^\.\//, '')),
    },
    ['.'],
  );
  return file;
}

/**
 * Hashes the file, reserves an upload of `kind` and sends it (with progress bars for both on a
 * TTY); returns the upload id.
 */
async function uploadFromFile(api: GraphqlClient, kind: 'SOURCE' | 'CERTS', file: string, filename: string): Promise<string> {
  const { size } = await stat(file);
  const hashing = transferProgress(`hash ${kind.toLowerCase()}`, size);
  let sha256: string;
  try {
    sha256 = await sha256OfFile(file, undefined, hashing.onProgress);
  } finally {
    hashing.stop();
  }
  const progress = transferProgress(`upload ${kind.toLowerCase()}`, size);
  try {
    return (await uploadArtifact(api, { kind, filename }, file, sha256, progress.onProgress)).id;
  } finally {
    progress.stop();
  }
}

async function fileKind(file: string): Promise<'file' | 'directory'> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new UsageError(`${file} does not exist`);
  return info.isDirectory() ? 'directory' : 'file';
}

/** `free-agent submit`: registers the command on `program`. */
export function registerSubmit(program: Command): void {
  withJson(
    program
      .command('submit')
      .description('Submit a build: upload a source archive (or pack a directory) and queue it')
      .argument('<source>', 'a .tar.gz, .tgz or .zip archive, or a directory (packed as .tar.gz without .git; links stored as their files)')
      .requiredOption('--platform <platform>', 'ios or android', choiceOption(['IOS', 'ANDROID']))
      .option('--certs <file>', 'signing certificates and profiles to upload with it')
      .option('--priority <n>', 'from -1000 to 1000 (default 0); higher runs first', integerOption(-1000, 1000))
      .option('--meta <key=value>', 'metadata (appName, version, gitRef, profile…); repeatable', keyValueOption)
      .option('--label <key=value>', 'a label the worker must carry (e.g. xcode=16.2); repeatable', keyValueOption)
      .option('--idempotency-key <key>', 'a retried submit with the same key returns the first build')
      .option(
        '--timeout <seconds>',
        "how long it may build before it fails as timed out (default: the server's)",
        integerOption(1, 2_147_483),
      )
      .option('--wait', 'follow the log until the build finishes, and exit with its outcome')
      .option('--download <path>', 'with --wait: save the result here when it completes (a directory: its original name inside)'),
  )
    .addHelpText(
      'after',
      `
Prints the build id and its console URL (<server>/builds/<id>); --json prints the build as JSON.
With --wait the log follows on stdout (on stderr with --json, where stdout gets the final build).
${exitCodesHelp}`,
    )
    .action(async (source: string, options: SubmitOptions, command: Command) => {
      const context = commandContext(command);
      const { api } = context;
      if (options.download && !options.wait) throw new UsageError('--download needs --wait');
      const kind = await fileKind(source);
      if (kind === 'file' && !ARCHIVE.test(source))
        throw new UsageError(`${source} is not a .tar.gz, .tgz or .zip archive (or a directory)`);
      if (options.certs && (await fileKind(options.certs)) !== 'file')
        throw new UsageError(`--certs ${options.certs} is a directory, not a file`);
      const input: Record<string, unknown> = {
        platform: options.platform,
        priority: options.priority,
        idempotencyKey: options.idempotencyKey,
        timeoutSeconds: options.timeout,
        metadata: options.meta ? Object.fromEntries(options.meta) : undefined,
      };
      if (options.label) {
        if (!(await typeFields(api, 'SubmitBuildInput')).has('requiredLabels'))
          throw new UsageError('This server does not route by labels (no SubmitBuildInput.requiredLabels): leave out --label');
        input.requiredLabels = options.label.map(([key, value]) => `${key}=${value}`);
      }

      const tempDir = await mkdtemp(path.join(os.tmpdir(), 'free-agent-submit-'));
      try {
        const archive = kind === 'directory' ? await packDirectory(source, tempDir) : source;
        input.sourceUploadId = await uploadFromFile(api, 'SOURCE', archive, path.basename(archive));
        if (options.certs) input.certsUploadId = await uploadFromFile(api, 'CERTS', options.certs, path.basename(options.certs));
      } finally {
        await rm(tempDir, { recursive: true, force: true });
      }
      const { submitBuild } = await api.request<{ submitBuild: { id: string; status: string } }>(
        'mutation ($input: SubmitBuildInput!) { submitBuild(input: $input) { id status } }',
        { input },
      );
      const url = consoleUrl(context.settings.serverUrl, submitBuild.id);
      if (!options.wait) {
        if (context.json) printJson({ ...(await readBuild(api, submitBuild.id)), url });
        else process.stdout.write(`${submitBuild.id}\n${url}\n`);
        return;
      }

      say(`submitted ${submitBuild.id}\n${url}`);
      const logStream = context.json ? process.stderr : process.stdout;
      await followLog(api, context.settings, submitBuild.id, {
        fromFirstAttempt: true,
        onLine: (line) => logStream.write(`${formatLogLine(line, context.colour)}\n`),
        onAttempt: (attempt) => say(`--- attempt ${attempt} ---`),
      });
      const build = await readBuild(api, submitBuild.id);
      const outcome = outcomeOf(build);
      const downloaded = options.download && outcome === 'completed' ? await downloadResult(api, build.id, options.download) : undefined;
      if (context.json) printJson({ ...build, url, outcome, ...(downloaded ? { download: downloaded } : {}) });
      else {
        say(
          `build ${build.id} ${paintStatus(build.status, context.colour)}${outcome === 'timed out' ? ' (timed out)' : ''}${build.errorMessage ? `: ${build.errorMessage}` : ''}`,
        );
        if (downloaded) say(`saved ${downloaded.path} (${downloaded.size} bytes, sha256 ${downloaded.sha256})`);
      }
      process.exitCode = exitCodeOfOutcome(outcome);
    });
}
