import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Encrypts small values at rest with the instance encryption key, for one purpose. */
export interface Sealer {
  encrypt(plain: Buffer): Buffer;
  /** Throws when the value was altered, truncated, or sealed with another key or for another purpose. */
  decrypt(sealed: Buffer): Buffer;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/**
 * AES-256-GCM laid out as `version | iv | tag | ciphertext`, with a key derived by HKDF-SHA256 from
 * `keyMaterial` (FREE_AGENT_ENCRYPTION_KEY) and `purpose` as HKDF's `info`: each use (certificate
 * archives, webhook secrets) has its own key, so a value sealed for one cannot be opened as another.
 * The purpose's bytes are part of every key ever used: changing one makes its stored values unreadable.
 * Whole buffers rather than streams: the values are small (certificates are capped at 10 MB by
 * config), and GCM's tag only proves integrity once everything has been read anyway. Throws when
 * `keyMaterial` is empty.
 */
export function createSealer(keyMaterial: string, purpose: string): Sealer {
  if (keyMaterial.length === 0) throw new Error('The encryption key must not be empty');
  // HKDF turns any configured string into a 32-byte key bound to this one use.
  const key = Buffer.from(hkdfSync('sha256', keyMaterial, Buffer.alloc(0), purpose, 32));
  // The version byte is authenticated too, so it cannot be swapped to change how a value is read.
  const header = Buffer.from([VERSION]);

  return {
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(header);
      const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
    },

    decrypt(sealed) {
      if (sealed.length < HEADER_BYTES || sealed[0] !== VERSION) throw new Error('Not a sealed value');
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(header).setAuthTag(tag);
      return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
    },
  };
}
