import { Injectable, Logger } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { Keyring, sealedKeyId } from '../../common/crypto/keyring';
import { newId } from '../../common/ids';
import { Database, type Tx } from '../../database/database';
import { cardVault } from '../../database/schema';
import { type CardSecret, CardVaultError, openCardSecret, sealCardSecret } from './card-vault.crypto';

type VaultRow = typeof cardVault.$inferSelect;

/**
 * The only place card numbers and CVCs are kept: encrypted under the keyring's current key and bound to their
 * token, erased as soon as they are not needed. Entries sealed under a previous key (CARD_VAULT_PREVIOUS_KEYS)
 * still open; their key_id shows which ones a rotation has yet to outlive.
 */
@Injectable()
export class CardVault {
  private readonly logger = new Logger(CardVault.name);

  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
  ) {}

  async store(tx: Tx, secret: CardSecret): Promise<string> {
    const [token] = await this.storeMany(tx, [secret]);
    return token!;
  }

  /** Stores the cards with one statement; their tokens, in their order. */
  async storeMany(tx: Tx, secrets: readonly CardSecret[]): Promise<string[]> {
    if (secrets.length === 0) return [];
    const tokens = secrets.map(() => newId('cv'));
    await tx.insert(cardVault).values(
      secrets.map((secret, index) => ({
        token: tokens[index]!,
        sealed: sealCardSecret(this.keyring, tokens[index]!, secret),
        keyId: this.keyring.currentKeyId,
      })),
    );
    return tokens;
  }

  /** Null when the entry was erased; throws CardVaultError when no configured key opens it. */
  async read(token: string): Promise<CardSecret | null> {
    const [row] = await this.database.db.select().from(cardVault).where(eq(cardVault.token, token)).limit(1);
    return row ? this.open(row) : null;
  }

  /** Once authorization has ended the CVC must not outlive it (it may never be stored after authorization). */
  async eraseCvc(tx: Tx, token: string): Promise<void> {
    const [row] = await tx.select().from(cardVault).where(eq(cardVault.token, token)).for('update').limit(1);
    if (!row) return;
    let secret: CardSecret;
    try {
      secret = this.open(row);
    } catch (error) {
      if (!(error instanceof CardVaultError)) throw error;
      // Nothing after authorization reads the number, and a CVC that cannot be removed must not stay: the
      // whole entry goes.
      await this.erase(tx, token);
      return;
    }
    // Re-sealed under the current key: an entry kept until capture leaves the previous key behind.
    await tx
      .update(cardVault)
      .set({
        sealed: sealCardSecret(this.keyring, token, { number: secret.number, cvc: null }),
        keyId: this.keyring.currentKeyId,
      })
      .where(eq(cardVault.token, token));
  }

  async erase(tx: Tx, token: string): Promise<void> {
    await tx.delete(cardVault).where(eq(cardVault.token, token));
  }

  private open(row: VaultRow): CardSecret {
    try {
      return openCardSecret(this.keyring, row.token, row.sealed);
    } catch (error) {
      if (error instanceof CardVaultError) {
        // An operator's problem (a key missing from CARD_VAULT_PREVIOUS_KEYS, or an altered row): say which entry
        // and which key, never what it holds.
        this.logger.error(
          {
            token: row.token,
            entryKeyId: row.keyId ?? sealedKeyId(row.sealed) ?? 'none (format 1)',
            configuredKeyIds: this.keyring.keyIds,
            reason: error.message,
          },
          'card vault entry cannot be opened with the configured vault keys',
        );
      }
      throw error;
    }
  }
}
