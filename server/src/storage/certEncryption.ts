import { createSealer, type Sealer } from '../auth/sealer.ts';

/** Certificate archives at rest: AES-256-GCM under the instance encryption key (auth/sealer.ts). */
export type CertCipher = Sealer;

/**
 * The sealer's purpose for certificate archives. Its exact bytes derive the key every stored archive
 * was sealed with (before the sealer was shared too): never change them.
 */
const CERTIFICATE_ARCHIVES = 'free-agent certificate archives';

/** The cipher for certificate archives; throws when `keyMaterial` is empty. */
export const createCertCipher = (keyMaterial: string): CertCipher => createSealer(keyMaterial, CERTIFICATE_ARCHIVES);
