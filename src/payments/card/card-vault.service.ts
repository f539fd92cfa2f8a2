import { Injectable } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { newId } from '../../common/ids';
import { AppConfig } from '../../config/app-config';
import { Database, type Tx } from '../../database/database';
import { cardVault } from '../../database/schema';
import { type CardSecret, decryptCardSecret, encryptCardSecret } from './card-vault.crypto';

/** The only place card numbers and CVCs are kept: encrypted, under a token, erased as soon as they are not needed. */
@Injectable()
export class CardVault {
  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
  ) {}

  async store(tx: Tx, secret: CardSecret): Promise<string> {
    const token = newId('cv');
    await tx.insert(cardVault).values({ token, sealed: encryptCardSecret(secret, this.config.cardVaultKey) });
    return token;
  }

  async read(token: string): Promise<CardSecret | null> {
    const [row] = await this.database.db.select().from(cardVault).where(eq(cardVault.token, token)).limit(1);
    return row ? decryptCardSecret(row.sealed, this.config.cardVaultKey) : null;
  }

  /** Once authorization has ended the CVC must not outlive it (it may never be stored after authorization). */
  async eraseCvc(tx: Tx, token: string): Promise<void> {
    const [row] = await tx.select().from(cardVault).where(eq(cardVault.token, token)).for('update').limit(1);
    if (!row) return;
    const secret = decryptCardSecret(row.sealed, this.config.cardVaultKey);
    await tx
      .update(cardVault)
      .set({ sealed: encryptCardSecret({ number: secret.number, cvc: null }, this.config.cardVaultKey) })
      .where(eq(cardVault.token, token));
  }

  async erase(tx: Tx, token: string): Promise<void> {
    await tx.delete(cardVault).where(eq(cardVault.token, token));
  }
}
