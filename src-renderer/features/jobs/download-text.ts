/**
 * Saves `text` as a file named `fileName`: a Blob behind an object URL, opened by a temporary
 * <a download>. Chromium saves it to its downloads; Electron asks where (its default for a
 * download), so the same code serves the browser console and the desktop app.
 */
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    // Not at once: the download reads the Blob after the click returns, and a revoked URL would
    // leave it empty in some browsers. A minute is long enough and frees the text after.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
