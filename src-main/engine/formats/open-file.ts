import { RawImage } from './raw/raw-image';

/** Opens `path` and hands it to `build`; the file is closed again when `build` fails. */
export async function openImageFile<T>(
  path: string,
  build: (file: RawImage) => Promise<T>,
): Promise<T> {
  const file = await RawImage.open(path);
  try {
    return await build(file);
  } catch (err) {
    await file.close();
    throw err;
  }
}
