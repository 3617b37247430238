package devchain

import (
	"crypto/ecdsa"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/consensus/misc/eip4844"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
)

// kind is one sort of transaction the traffic generator makes.
type kind int

const (
	kindLegacy       kind = iota // type 0 value transfer, now and then without EIP-155 replay protection
	kindAccessList               // type 1 token transfer declaring the token's storage
	kindTransfer                 // type 2 value transfer between known accounts
	kindToFresh                  // type 2 payment to a never-seen address
	kindFromFresh                // type 2 transfer sent by a formerly fresh address
	kindToken                    // type 2 ERC-20 transfer (a 3-topic log)
	kindDeploy                   // type 0 or 2 token deployment (receipt.ContractAddress, mint log)
	kindFailedCall               // token transfer that reverts: status 0
	kindFailedDeploy             // deployment whose constructor reverts: status 0
	kindOutOfGas                 // token transfer with too little gas: status 0
	kindBlob                     // type 3 with one or two blobs
	kindSetCode                  // type 4 delegating authorities to the token code (EIP-7702)
	kindInternal                 // a call through the relay: an internal payment, reverted call, DELEGATECALL or STATICCALL
	kindFactory                  // a contract creating a contract (CREATE or CREATE2), now and then failing
	numKinds
)

// weights set the mix of the transactions beyond the first of each kind;
// with the guaranteed ones, about 4% of transactions fail, as on mainnet.
var weights = [numKinds]int{
	kindLegacy: 10, kindAccessList: 4, kindTransfer: 25, kindToFresh: 10, kindFromFresh: 6,
	kindToken: 25, kindDeploy: 2, kindFailedCall: 2, kindFailedDeploy: 0, kindOutOfGas: 1,
	kindBlob: 3, kindSetCode: 4, kindInternal: 6, kindFactory: 2,
}

// failures are the kinds that end in status 0; a block guarantees only one
// of them, taking turns.
var failures = []kind{kindFailedCall, kindFailedDeploy, kindOutOfGas}

const (
	withdrawalsPerBlock = 16 // mainnet's maximum
	maxBlobsPerBlock    = 6  // well under BPO2's target of 14, so the blob fee stays at its floor
	numAuthorities      = 16
	numValidators       = 64
	gwei                = int64(params.GWei)
	ether               = int64(params.Ether)
)

// generator makes the traffic. Its random stream only moves forward, so a
// block rebuilt at the same height during a reorg gets different
// transactions. Nonces and balances are read from the parent state, which
// keeps every generated transaction valid on whichever branch it lands.
type generator struct {
	seed        uint64
	rng         *rand.Rand
	minTxs      int
	maxTxs      int
	chainID     *big.Int
	signer      types.Signer
	accounts    []*ecdsa.PrivateKey // funded at genesis; the traffic's main senders
	authorities []*ecdsa.PrivateKey // only sign 7702 authorizations, so their nonces move only there
	fresh       []*ecdsa.PrivateKey // addresses first paid ether by traffic; they may send later
	strangers   uint64              // count of one-off token recipients
	validators  []common.Address    // withdrawal recipients
	builders    []common.Address    // fee recipients
	blobInbox   common.Address      // the "rollup" blob transactions go to
	tokens      []common.Address    // token contracts deployed by traffic (maybe on a dead branch)
}

func newGenerator(cfg Config) (*generator, error) {
	g := &generator{
		seed:    cfg.Seed,
		rng:     rand.New(rand.NewPCG(cfg.Seed, 0x657468696478)),
		minTxs:  cfg.MinTxs,
		maxTxs:  cfg.MaxTxs,
		chainID: new(big.Int).SetUint64(cfg.ChainID),
	}
	var err error
	if g.accounts, err = g.keys("account", cfg.Accounts); err != nil {
		return nil, err
	}
	if g.authorities, err = g.keys("authority", numAuthorities); err != nil {
		return nil, err
	}
	for i := range numValidators {
		g.validators = append(g.validators, g.derivedAddress("validator", uint64(i)))
	}
	for i := range 4 {
		g.builders = append(g.builders, g.derivedAddress("builder", uint64(i)))
	}
	g.blobInbox = g.derivedAddress("blob inbox", 0)
	return g, nil
}

// derive hashes the seed with a label and a counter; keys and addresses all
// come from it so a seed names the same accounts every time.
func (g *generator) derive(label string, i uint64) []byte {
	buf := binary.BigEndian.AppendUint64(nil, g.seed)
	buf = append(buf, label...)
	return crypto.Keccak256(binary.BigEndian.AppendUint64(buf, i))
}

func (g *generator) keys(label string, n int) ([]*ecdsa.PrivateKey, error) {
	keys := make([]*ecdsa.PrivateKey, n)
	for i := range keys {
		k, err := crypto.ToECDSA(g.derive(label, uint64(i)))
		if err != nil {
			return nil, fmt.Errorf("deriving %s key %d: %w", label, i, err)
		}
		keys[i] = k
	}
	return keys, nil
}

func (g *generator) derivedAddress(label string, i uint64) common.Address {
	return common.BytesToAddress(g.derive(label, i))
}

// genesis funds the accounts, places the genesis token, and sets the signer
// for the chain's rules.
func (g *generator) genesis(cc *params.ChainConfig, timestamp uint64) *core.Genesis {
	g.signer = types.LatestSigner(cc)
	alloc := core.SystemContractAllocs()
	rich := new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(ether))
	for _, k := range g.accounts {
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: rich}
	}
	for _, k := range g.authorities {
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: new(big.Int).Mul(big.NewInt(10), big.NewInt(ether))}
	}
	alloc[tokenAddress] = types.Account{Code: tokenRuntime, Balance: new(big.Int)}
	alloc[relayAddress] = types.Account{Code: relayRuntime, Balance: new(big.Int)}
	alloc[factoryAddress] = types.Account{Code: factoryRuntime, Balance: new(big.Int)}
	return &core.Genesis{
		Config:     cc,
		Timestamp:  timestamp,
		GasLimit:   gasLimit,
		Difficulty: new(big.Int),
		BaseFee:    big.NewInt(params.InitialBaseFee),
		ExtraData:  []byte("ethidx devchain"),
		Alloc:      alloc,
	}
}

// gasLimit is the block gas limit, go-ethereum's default target.
const gasLimit = 60_000_000

// blockWork is what the generator decided for one block.
type blockWork struct {
	txs          []*types.Transaction
	withdrawals  types.Withdrawals
	feeRecipient common.Address
}

// blockTraffic holds the per-block bookkeeping while transactions are made.
type blockTraffic struct {
	*generator
	number  uint64
	rules   params.Rules
	state   *state.StateDB
	nonces  map[common.Address]uint64
	used    map[common.Address]bool // fresh senders already used in this block
	baseFee *big.Int
	blobFee *big.Int
	blobs   int
}

// block generates the transactions and withdrawals of the child of parent.
func (g *generator) block(cc *params.ChainConfig, parent *types.Header, timestamp uint64, st *state.StateDB, lastWithdrawal *types.Withdrawal) (*blockWork, error) {
	number := parent.Number.Uint64() + 1
	excess := eip4844.CalcExcessBlobGas(cc, parent, timestamp)
	b := &blockTraffic{
		generator: g,
		number:    number,
		rules:     cc.Rules(new(big.Int).SetUint64(number), true, timestamp),
		state:     st,
		nonces:    make(map[common.Address]uint64),
		used:      make(map[common.Address]bool),
		baseFee:   eip1559.CalcBaseFee(cc, parent),
		blobFee:   eip4844.CalcBlobFee(cc, &types.Header{Time: timestamp, ExcessBlobGas: &excess}),
	}
	work := &blockWork{feeRecipient: g.builders[g.rng.IntN(len(g.builders))]}
	for _, k := range g.kinds(number) {
		tx, err := b.make(k)
		if err != nil {
			return nil, err
		}
		work.txs = append(work.txs, tx)
	}
	next := uint64(0)
	if lastWithdrawal != nil {
		next = lastWithdrawal.Index + 1
	}
	for i := range uint64(withdrawalsPerBlock) {
		v := g.rng.IntN(numValidators * 16)
		work.withdrawals = append(work.withdrawals, &types.Withdrawal{
			Index:     next + i,
			Validator: uint64(v),
			Address:   g.validators[v%numValidators],
			Amount:    10_000_000 + g.rng.Uint64N(40_000_000), // gwei: 0.01–0.05 ETH of rewards
		})
	}
	return work, nil
}

// kinds picks the block's transaction kinds: one of each succeeding kind and
// one failing kind (rotating which when the block is too small for all), the
// rest by weight, in random order.
func (g *generator) kinds(number uint64) []kind {
	n := g.minTxs + g.rng.IntN(g.maxTxs-g.minTxs+1)
	var guaranteed []kind
	for k := range numKinds {
		if !slices.Contains(failures, k) {
			guaranteed = append(guaranteed, k)
		}
	}
	guaranteed = append(guaranteed, failures[number%uint64(len(failures))])
	seq := make([]kind, 0, n)
	for i := range min(n, len(guaranteed)) {
		seq = append(seq, guaranteed[(number+uint64(i))%uint64(len(guaranteed))])
	}
	total := 0
	for _, w := range weights {
		total += w
	}
	for len(seq) < n {
		r := g.rng.IntN(total)
		k := kind(0)
		for ; r >= weights[k]; k++ {
			r -= weights[k]
		}
		seq = append(seq, k)
	}
	g.rng.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
	return seq
}

// make builds and signs one transaction of kind k. Kinds that cannot be made
// right now (no fresh address holds funds yet, blob space used up) fall back
// to a plain transfer.
func (b *blockTraffic) make(k kind) (*types.Transaction, error) {
	from := b.sender()
	switch k {
	case kindLegacy:
		to := b.address(b.sender())
		tx := &types.LegacyTx{Nonce: b.nonce(from), GasPrice: b.gasPrice(), Gas: params.TxGas, To: &to, Value: b.amount(ether/1000, 5*ether)}
		if b.rng.IntN(8) == 0 {
			// Pre-EIP-155 signatures (v = 27/28) still appear on mainnet.
			return b.sign(from, tx, types.HomesteadSigner{})
		}
		return b.sign(from, tx, b.signer)
	case kindAccessList:
		token := b.token()
		tx := &types.AccessListTx{
			ChainID: b.chainID, Nonce: b.nonce(from), GasPrice: b.gasPrice(), Gas: 80_000, To: &token,
			Data:       transferCalldata(b.recipient(), b.tokenAmount()),
			AccessList: types.AccessList{{Address: token, StorageKeys: []common.Hash{{}}}},
		}
		return b.sign(from, tx, b.signer)
	case kindTransfer:
		return b.dynamic(from, ptr(b.address(b.sender())), params.TxGas, b.amount(ether/1000, 5*ether), nil)
	case kindToFresh:
		return b.dynamic(from, ptr(b.newFresh()), params.TxGas, b.amount(ether/20, ether), nil)
	case kindFromFresh:
		if fresh := b.fundedFresh(); fresh != nil {
			to := b.address(b.sender())
			if b.rng.IntN(3) == 0 {
				to = b.newFresh()
			}
			return b.dynamic(fresh, &to, params.TxGas, b.amount(ether/1000, ether/100), nil)
		}
	case kindToken:
		return b.dynamic(from, ptr(b.token()), 60_000, nil, transferCalldata(b.recipient(), b.tokenAmount()))
	case kindDeploy:
		supply := new(uint256.Int).Mul(uint256.NewInt(1+b.rng.Uint64N(1e9)), uint256.NewInt(uint64(ether)))
		code := tokenInitcode(supply)
		b.tokens = append(b.tokens, crypto.CreateAddress(b.address(from), b.nonce(from)))
		if b.rng.IntN(2) == 0 {
			tx := &types.LegacyTx{Nonce: b.nonce(from), GasPrice: b.gasPrice(), Gas: 300_000, Data: code}
			return b.sign(from, tx, b.signer)
		}
		return b.dynamic(from, nil, 300_000, nil, code)
	case kindFailedCall:
		amount := new(uint256.Int).Lsh(uint256.NewInt(1+b.rng.Uint64N(255)), 248)
		return b.dynamic(from, ptr(b.token()), 60_000, nil, transferCalldata(b.recipient(), amount))
	case kindFailedDeploy:
		return b.dynamic(from, nil, 100_000, nil, revertingInitcode)
	case kindOutOfGas:
		token := b.token()
		data := transferCalldata(b.recipient(), b.tokenAmount())
		gas, err := b.minGas(from, &token, data)
		if err != nil {
			return nil, err
		}
		// Enough to be included, too little to reach the LOG3.
		return b.dynamic(from, &token, gas+300, nil, data)
	case kindBlob:
		if tx, err := b.blob(from); tx != nil || err != nil {
			return tx, err
		}
	case kindSetCode:
		return b.setCode(from)
	case kindInternal:
		return b.internal(from)
	case kindFactory:
		return b.factory(from)
	}
	return b.dynamic(from, ptr(b.address(b.sender())), params.TxGas, b.amount(ether/1000, ether), nil)
}

// dynamic makes a type 2 transaction; a nil to deploys data.
func (b *blockTraffic) dynamic(from *ecdsa.PrivateKey, to *common.Address, gas uint64, value *big.Int, data []byte) (*types.Transaction, error) {
	tip := b.tip()
	tx := &types.DynamicFeeTx{
		ChainID: b.chainID, Nonce: b.nonce(from), GasTipCap: tip, GasFeeCap: b.feeCap(tip),
		Gas: gas, To: to, Value: value, Data: data,
	}
	return b.sign(from, tx, b.signer)
}

func (b *blockTraffic) blob(from *ecdsa.PrivateKey) (*types.Transaction, error) {
	n := 1 + b.rng.IntN(2)
	if b.blobs+n > maxBlobsPerBlock {
		return nil, nil
	}
	sc := blobSidecar(b.rng.IntN(len(blobCommitments)-n+1), n)
	b.blobs += n
	tip := b.tip()
	blobFeeCap := new(big.Int).Mul(b.blobFee, big.NewInt(2))
	blobFeeCap = bigMax(blobFeeCap, big.NewInt(gwei))
	tx := &types.BlobTx{
		ChainID:    uint256.MustFromBig(b.chainID),
		Nonce:      b.nonce(from),
		GasTipCap:  uint256.MustFromBig(tip),
		GasFeeCap:  uint256.MustFromBig(b.feeCap(tip)),
		Gas:        50_000,
		To:         b.blobInbox,
		Value:      new(uint256.Int),
		Data:       binary.BigEndian.AppendUint64([]byte("batch"), b.number),
		BlobFeeCap: uint256.MustFromBig(blobFeeCap),
		BlobHashes: sc.BlobHashes(),
		Sidecar:    sc,
	}
	return b.sign(from, tx, b.signer)
}

// setCode sends a 7702 transaction whose authorizations delegate one or two
// authorities to the token code (now and then clearing a delegation), and
// calls the first authority, so the transfer log is emitted by an EOA.
func (b *blockTraffic) setCode(from *ecdsa.PrivateKey) (*types.Transaction, error) {
	picks := b.rng.Perm(len(b.authorities))[:1+b.rng.IntN(2)]
	var auths []types.SetCodeAuthorization
	for _, i := range picks {
		authority := b.authorities[i]
		target := tokenAddress
		if b.rng.IntN(6) == 0 {
			target = common.Address{} // revokes the delegation
		}
		chainID := uint256.MustFromBig(b.chainID)
		if b.rng.IntN(5) == 0 {
			chainID = new(uint256.Int) // valid on any chain
		}
		auth, err := types.SignSetCode(authority, types.SetCodeAuthorization{ChainID: *chainID, Address: target, Nonce: b.nonce(authority)})
		if err != nil {
			return nil, fmt.Errorf("signing authorization: %w", err)
		}
		b.nonces[b.address(authority)]++ // a valid authorization bumps the authority's nonce
		auths = append(auths, auth)
	}
	tip := b.tip()
	tx := &types.SetCodeTx{
		ChainID:   uint256.MustFromBig(b.chainID),
		Nonce:     b.nonce(from),
		GasTipCap: uint256.MustFromBig(tip),
		GasFeeCap: uint256.MustFromBig(b.feeCap(tip)),
		Gas:       80_000 + params.CallNewAccountGas*uint64(len(auths)),
		To:        b.address(b.authorities[picks[0]]),
		Value:     new(uint256.Int),
		Data:      transferCalldata(b.recipient(), b.tokenAmount()),
		AuthList:  auths,
	}
	return b.sign(from, tx, b.signer)
}

// internal sends a transaction through the relay, so its trace holds an
// inner call: a payment forwarded to a never-seen or known address (the
// recipient appears only in the trace), a token transfer that reverts inside
// a transaction that succeeds, a DELEGATECALL running the token's code in
// the relay's context, or a STATICCALL.
func (b *blockTraffic) internal(from *ecdsa.PrivateKey) (*types.Transaction, error) {
	relay := relayAddress
	switch r := b.rng.IntN(5); r {
	case 0, 1:
		to, value := b.address(b.sender()), b.amount(ether/1000, ether)
		if r == 0 {
			// Enough for the new address to send later (fundedFresh).
			to, value = b.newFresh(), b.amount(ether/20, ether)
		}
		return b.dynamic(from, &relay, 100_000, value, relayCalldata(relayCall, to, nil))
	case 2:
		failing := new(uint256.Int).Lsh(uint256.NewInt(1+b.rng.Uint64N(255)), 248)
		return b.dynamic(from, &relay, 100_000, nil, relayCalldata(relayCall, b.token(), transferCalldata(b.recipient(), failing)))
	case 3:
		return b.dynamic(from, &relay, 100_000, nil, relayCalldata(relayDelegateCall, tokenAddress, transferCalldata(b.recipient(), b.tokenAmount())))
	}
	return b.dynamic(from, &relay, 100_000, nil, relayCalldata(relayStaticCall, b.address(b.sender()), nil))
}

// factory has the factory deploy a token, with CREATE2 (its address then
// joins the tokens traffic uses) or CREATE, or a constructor that reverts,
// so the trace holds a failed creation inside a transaction that succeeds.
func (b *blockTraffic) factory(from *ecdsa.PrivateKey) (*types.Transaction, error) {
	factory := factoryAddress
	supply := new(uint256.Int).Mul(uint256.NewInt(1+b.rng.Uint64N(1e9)), uint256.NewInt(uint64(ether)))
	code := tokenInitcode(supply)
	switch b.rng.IntN(4) {
	case 0:
		return b.dynamic(from, &factory, 300_000, nil, factoryCalldata(0, revertingInitcode))
	case 1:
		return b.dynamic(from, &factory, 300_000, nil, factoryCalldata(0, code))
	}
	salt := 1 + b.rng.Uint64N(math.MaxUint64-1)
	var saltWord [32]byte
	binary.BigEndian.PutUint64(saltWord[24:], salt)
	b.tokens = append(b.tokens, crypto.CreateAddress2(factory, saltWord, crypto.Keccak256(code)))
	return b.dynamic(from, &factory, 300_000, nil, factoryCalldata(salt, code))
}

func (b *blockTraffic) sign(from *ecdsa.PrivateKey, data types.TxData, signer types.Signer) (*types.Transaction, error) {
	tx, err := types.SignNewTx(from, signer, data)
	if err != nil {
		return nil, fmt.Errorf("signing transaction: %w", err)
	}
	b.nonces[b.address(from)]++
	return tx, nil
}

// sender picks a funded account among those active so far: one more joins
// per block, so early blocks keep adding first-time senders.
func (b *blockTraffic) sender() *ecdsa.PrivateKey {
	active := min(len(b.accounts), 8+int(b.number))
	return b.accounts[b.rng.IntN(active)]
}

// recipient is a known account most of the time and a brand-new address
// otherwise. No key is kept for the new ones: token receivers hold no ether
// to send with.
func (b *blockTraffic) recipient() common.Address {
	if b.rng.IntN(4) == 0 {
		b.strangers++
		return b.derivedAddress("stranger", b.strangers)
	}
	return b.address(b.sender())
}

// newFresh returns an address never used before. Its key is kept so that it
// can send once it holds funds.
func (b *blockTraffic) newFresh() common.Address {
	k, err := crypto.ToECDSA(b.derive("fresh", uint64(len(b.fresh))))
	if err != nil {
		// A hash outside the curve order: practically impossible, and a
		// random address serves the same purpose.
		return b.derivedAddress("fresh address", uint64(len(b.fresh)))
	}
	b.fresh = append(b.fresh, k)
	return b.address(k)
}

// fundedFresh finds a fresh address with enough funds in the parent state
// for one small transfer; each sends at most once per block so the parent
// balance bounds what it spends.
func (b *blockTraffic) fundedFresh() *ecdsa.PrivateKey {
	floor := uint256.NewInt(uint64(ether / 20))
	for range 8 {
		if len(b.fresh) == 0 {
			return nil
		}
		k := b.fresh[b.rng.IntN(len(b.fresh))]
		a := b.address(k)
		if !b.used[a] && b.state.GetBalance(a).Cmp(floor) >= 0 {
			b.used[a] = true
			return k
		}
	}
	return nil
}

// token picks a token contract that exists in the parent state.
func (b *blockTraffic) token() common.Address {
	if len(b.tokens) > 0 && b.rng.IntN(2) == 0 {
		t := b.tokens[b.rng.IntN(len(b.tokens))]
		if b.state.GetCodeSize(t) > 0 {
			return t
		}
	}
	return tokenAddress
}

func (b *blockTraffic) nonce(k *ecdsa.PrivateKey) uint64 {
	a := b.address(k)
	n, ok := b.nonces[a]
	if !ok {
		n = b.state.GetNonce(a)
		b.nonces[a] = n
	}
	return n
}

// minGas is the least gas a call may carry to be included (intrinsic gas or
// the EIP-7623 calldata floor).
func (b *blockTraffic) minGas(from *ecdsa.PrivateKey, to *common.Address, data []byte) (uint64, error) {
	zero := new(uint256.Int)
	intrinsic, err := core.IntrinsicGas(data, nil, nil, b.address(from), to, zero, b.rules)
	if err != nil {
		return 0, fmt.Errorf("intrinsic gas: %w", err)
	}
	floor, err := core.FloorDataGas(b.rules, b.address(from), to, zero, data, nil)
	if err != nil {
		return 0, fmt.Errorf("calldata floor gas: %w", err)
	}
	return max(intrinsic, floor), nil
}

func (b *blockTraffic) tip() *big.Int {
	return big.NewInt(gwei/100 + b.rng.Int64N(2*gwei))
}

func (b *blockTraffic) feeCap(tip *big.Int) *big.Int {
	c := new(big.Int).Mul(b.baseFee, big.NewInt(2))
	return c.Add(c, tip)
}

func (b *blockTraffic) gasPrice() *big.Int { return new(big.Int).Add(b.baseFee, b.tip()) }

// amount is a random wei value between lo and hi, log-uniform like real
// payments.
func (b *blockTraffic) amount(lo, hi int64) *big.Int {
	f := float64(lo) * math.Pow(float64(hi)/float64(lo), b.rng.Float64())
	return big.NewInt(int64(f))
}

func (b *blockTraffic) tokenAmount() *uint256.Int {
	return new(uint256.Int).Mul(uint256.NewInt(1+b.rng.Uint64N(1_000_000)), uint256.NewInt(1e15))
}

func (g *generator) address(k *ecdsa.PrivateKey) common.Address {
	return crypto.PubkeyToAddress(k.PublicKey)
}

func ptr[T any](v T) *T { return &v }
