import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ApiError, type GraphqlClient } from '../client/api.ts';
import { downloadFile } from '../client/artifacts.ts';
import { transferProgress } from './progress.ts';

/**
 * A stored file name reduced to a plain name for this machine (no directories, not `.` or `..`);
 * null when nothing is left. The server keeps names as uploaded, "never used as a path".
 */
function plainFilename(name: string | null | undefined): string | null {
  const plain = name?.split(/[/\\]/).pop()?.trim();
  return plain && plain !== '.' && plain !== '..' ? plain : null;
}

/**
 * Downloads a completed build's result to `target` (a file; a directory gets the default name
 * inside it; undefined: the default name in the current directory). The default name is the
 * result's original file name from the server, else `<build id>.ipa` / `<build id>.apk`. The
 * bytes are checked against the build's resultSha256. Resolves with the path, size and sha256;
 * rejects with ApiError CONFLICT when the build has no result, TransferError or ConnectionError.
 */
export async function downloadResult(
  api: GraphqlClient,
  buildId: string,
  target: string | undefined,
): Promise<{ path: string; size: number; sha256: string }> {
  const { build } = await api.request<{
    build: {
      status: string;
      platform: string;
      resultUrl: string | null;
      resultSha256: string | null;
      resultSize: number | null;
      resultFilename: string | null;
    } | null;
  }>('query ($id: ID!) { build(id: $id) { status platform resultUrl resultSha256 resultSize resultFilename } }', { id: buildId });
  if (!build) throw new ApiError('NOT_FOUND', `No build ${buildId}`);
  if (!build.resultUrl) throw new ApiError('CONFLICT', `Build ${buildId} has no result (it is ${build.status})`);
  const isDirectory = target !== undefined && (await stat(target).catch(() => undefined))?.isDirectory();
  let file = target;
  if (file === undefined || isDirectory) {
    const name = plainFilename(build.resultFilename) ?? `${buildId}.${build.platform === 'IOS' ? 'ipa' : 'apk'}`;
    file = path.join(target ?? '.', name);
  }
  const progress = transferProgress('download', Number(build.resultSize ?? 0));
  try {
    const saved = await downloadFile(build.resultUrl, file, {
      expectedSha256: build.resultSha256 ?? undefined,
      onProgress: progress.onProgress,
    });
    return { path: file, ...saved };
  } finally {
    progress.stop();
  }
}
