import type { Release } from './domain/release';
import type { Exchange, Wallet } from './domain/wallet.aggregate';

/** What the API shows of wallets and exchanges (http/points.schemas.ts describes them). */
export interface WalletView {
  partnerId: string;
  enrolled: boolean;
  balance: number;
  holdings: Wallet['holdings'];
  pendingExchanges: number;
  version: number;
  updatedAt: string | null;
}

export interface ExchangeView {
  exchangeId: string;
  partnerId: string;
  status: Exchange['status'];
  lines: Exchange['lines'];
  totalPoints: number;
  correlationId: string;
  requestedAt: string;
  settledAt: string | null;
  refund: Exchange['refund'];
  stalled: boolean;
}

/** A partner never enrolled has no wallet document: it reads as an empty wallet at version 0. */
export const walletView = (partnerId: string, wallet: Wallet | null, version: number): WalletView => ({
  partnerId,
  enrolled: wallet?.enrolled ?? false,
  balance: wallet?.balance ?? 0,
  holdings: wallet?.holdings ?? [],
  pendingExchanges: wallet?.exchanges.filter((e) => e.status === 'pending').length ?? 0,
  version,
  updatedAt: wallet?.updatedAt ?? null,
});

export const exchangeView = (partnerId: string, e: Exchange): ExchangeView => ({
  exchangeId: e.exchangeId,
  partnerId,
  status: e.status,
  lines: e.lines,
  totalPoints: e.totalPoints,
  correlationId: e.correlationId,
  requestedAt: e.requestedAt,
  settledAt: e.settledAt,
  refund: e.refund,
  stalled: e.stalledAt !== null,
});

export interface ReleaseView {
  releaseId: string;
  partnerId: string;
  sku: string;
  quantity: number;
  month: string;
  status: Release['status'];
  correlationId: string;
  requestedAt: string;
  settledAt: string | null;
  refusal: Release['refusal'];
}

export const releaseView = (partnerId: string, r: Release): ReleaseView => ({
  releaseId: r.releaseId,
  partnerId,
  sku: r.sku,
  quantity: r.quantity,
  month: r.month,
  status: r.status,
  correlationId: r.correlationId,
  requestedAt: r.requestedAt,
  settledAt: r.settledAt,
  refusal: r.refusal,
});
