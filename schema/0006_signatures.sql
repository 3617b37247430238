-- name: signatures
-- Each transaction's signature, as signed: content verification rebuilds
-- transaction hashes from it, and recovering a sender needs it.
--   v         as the node reports it: 27/28, or 35 + 2·chain_id + parity
--             for EIP-155 legacy transactions, the parity for typed ones
--   r, s      the signature's two numbers
--   y_parity  the recovery bit, derived from v where a node leaves it out
--   chain_id  the chain the transaction was signed for; NULL only for a
--             legacy transaction without replay protection
-- Rows written before this migration read 0 and NULL here; backfilling
-- their range again fills them.

ALTER TABLE transactions
    ADD COLUMN IF NOT EXISTS v UInt256,
    ADD COLUMN IF NOT EXISTS r UInt256,
    ADD COLUMN IF NOT EXISTS s UInt256,
    ADD COLUMN IF NOT EXISTS y_parity UInt8,
    ADD COLUMN IF NOT EXISTS chain_id Nullable(UInt256);
