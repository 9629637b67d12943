/**
 * PUTs `file` to a signed upload URL with XMLHttpRequest (fetch reports no upload progress),
 * calling `onProgress` with the bytes sent so far and the total. The server takes exactly the
 * size the upload was declared with, so the file is sent as it is.
 * Resolves when the server has stored it; rejects with the server's message (or a network error),
 * and with an AbortError when `signal` aborts.
 */
export function uploadFile(
  url: string,
  file: Blob,
  onProgress: (sentBytes: number, totalBytes: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    request.setRequestHeader('content-type', 'application/octet-stream');
    request.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(file.size, file.size);
        resolve();
        return;
      }
      reject(new Error(serverMessage(request.responseText) ?? `The upload was refused (HTTP ${request.status})`));
    };
    request.onerror = () => reject(new Error('The upload failed: the server could not be reached'));
    request.onabort = () => reject(new DOMException('The upload was stopped', 'AbortError'));
    signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.send(file);
  });
}

/** The `message` of the server's JSON error body, when it has one. */
function serverMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: { message?: unknown } };
    const message = parsed.message ?? parsed.error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
