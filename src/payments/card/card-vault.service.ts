import { Injectable, Logger } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { Keyring, sealedKeyId } from '../../common/crypto/keyring';
import { newId } from '../../common/ids';
import { Database, type Tx } from '../../database/database';
import type { CombinedWrite } from '../../database/combined-write';
import { rowsOf } from '../../database/raw-rows';
import { cardVault } from '../../database/schema';
import { runStatement, type Statement, statement } from '../../database/statement';
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
    const { tokens, insert } = this.vaultInsert(secrets);
    await runStatement(tx, insert);
    return tokens;
  }

  /** `storeMany` as a part of a combined write (sent with the transaction's next statement). */
  storeManyTo(writes: CombinedWrite, secrets: readonly CardSecret[]): string[] {
    if (secrets.length === 0) return [];
    const { tokens, insert } = this.vaultInsert(secrets);
    writes.add(insert);
    return tokens;
  }

  private vaultInsert(secrets: readonly CardSecret[]): { tokens: string[]; insert: Statement } {
    const tokens = secrets.map(() => newId('cv'));
    const sealed = secrets.map((secret, index) => sealCardSecret(this.keyring, tokens[index]!, secret));
    const insert = statement`
      INSERT INTO card_vault (token, sealed, key_id)
      SELECT * FROM unnest(${tokens}::text[], ${sealed}::bytea[],
                           ${secrets.map(() => this.keyring.currentKeyId)}::text[])`;
    return { tokens, insert };
  }

  /** Null when the entry was erased; throws CardVaultError when no configured key opens it. */
  async read(token: string): Promise<CardSecret | null> {
    return (await this.readMany([token])).get(token) ?? null;
  }

  /**
   * The entries still stored of `tokens`, by token, read with one statement (an erased one is absent); throws
   * CardVaultError when no configured key opens one of them.
   */
  async readMany(tokens: readonly string[]): Promise<Map<string, CardSecret>> {
    if (tokens.length === 0) return new Map();
    const { rows } = await runStatement(
      this.database.db,
      statement`SELECT token, sealed, key_id, created_at FROM card_vault WHERE token = ANY(${tokens}::text[])`,
    );
    return new Map(rowsOf(cardVault, rows).map((row) => [row.token, this.open(row)]));
  }

  /** Once authorization has ended the CVC must not outlive it (it may never be stored after authorization). */
  async eraseCvc(tx: Tx, token: string): Promise<void> {
    await this.eraseCvcMany(tx, [token]);
  }

  /**
   * `eraseCvc` for the entries of a batch (the payments one settlement transaction authorized): one locking read,
   * one update that re-seals them all, and one delete for those no configured key opens.
   */
  async eraseCvcMany(tx: Tx, tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    // In token order, so that two transactions sharing entries wait for one another instead of deadlocking.
    const rows = await tx
      .select()
      .from(cardVault)
      .where(sql`${cardVault.token} = ANY(${sql.param([...tokens])}::text[])`)
      .orderBy(cardVault.token)
      .for('update');
    const resealed: { token: string; sealed: Buffer }[] = [];
    const unreadable: string[] = [];
    for (const row of rows) {
      let secret: CardSecret;
      try {
        secret = this.open(row);
      } catch (error) {
        if (!(error instanceof CardVaultError)) throw error;
        // Nothing after authorization reads the number, and a CVC that cannot be removed must not stay: the
        // whole entry goes.
        unreadable.push(row.token);
        continue;
      }
      // Re-sealed under the current key: an entry kept until capture leaves the previous key behind.
      resealed.push({
        token: row.token,
        sealed: sealCardSecret(this.keyring, row.token, { number: secret.number, cvc: null }),
      });
    }
    if (resealed.length > 0) {
      await tx
        .update(cardVault)
        .set({ sealed: sql`resealed.sealed`, keyId: this.keyring.currentKeyId })
        .from(
          sql`unnest(${sql.param(resealed.map((entry) => entry.token))}::text[], ${sql.param(resealed.map((entry) => entry.sealed))}::bytea[]) AS resealed(token, sealed)`,
        )
        .where(sql`${cardVault.token} = resealed.token`);
    }
    await this.eraseMany(tx, unreadable);
  }

  async erase(tx: Tx, token: string): Promise<void> {
    await this.eraseMany(tx, [token]);
  }

  /** `erase` for many entries, with one statement. */
  async eraseMany(tx: Tx, tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    await runStatement(tx, vaultErase(tokens));
  }

  /** `eraseMany` as a part of a combined write (sent with the transaction's other writes in one statement). */
  eraseManyTo(writes: CombinedWrite, tokens: readonly string[]): void {
    if (tokens.length > 0) writes.add(vaultErase(tokens));
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

function vaultErase(tokens: readonly string[]): Statement {
  return statement`DELETE FROM card_vault WHERE token = ANY(${tokens}::text[])`;
}
