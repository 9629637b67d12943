import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface CertCipher {
  encrypt(plain: Buffer): Buffer;
  /** Throws when the archive was altered, truncated or sealed with another key. */
  decrypt(sealed: Buffer): Buffer;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/**
 * AES-256-GCM for certificate archives at rest, laid out as `version | iv | tag | ciphertext`.
 * Whole buffers rather than streams: certificates are capped at 10 MB by config, and GCM's tag
 * only proves integrity once everything has been read anyway.
 */
export function createCertCipher(keyMaterial: string): CertCipher {
  if (keyMaterial.length === 0) throw new Error('The certificate encryption key must not be empty');
  // HKDF turns any configured string into a 32-byte key bound to this one use.
  const key = Buffer.from(hkdfSync('sha256', keyMaterial, Buffer.alloc(0), 'free-agent certificate archives', 32));
  // The version byte is authenticated too, so it cannot be swapped to change how an archive is read.
  const header = Buffer.from([VERSION]);

  return {
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(header);
      const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
    },

    decrypt(sealed) {
      if (sealed.length < HEADER_BYTES || sealed[0] !== VERSION) throw new Error('Not an encrypted certificate archive');
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(header).setAuthTag(tag);
      return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
    },
  };
}
