#!/usr/bin/env python3
"""The PyTorch reference for `npm run bench`: d2l v0.17's concise `train_ch8` step (d2l/torch.py).

The model is d2l's RNNModel: nn.RNN / nn.GRU / nn.LSTM (num_layers, bidirectional) over one-hot
input, then nn.Linear on every step; the loss is CrossEntropyLoss().mean(); d2l's grad_clipping
(global L2 norm over every parameter) and torch.optim.SGD. The sequential iterator carries the state
across minibatches, detached, and starts every epoch from zero.

It installs nothing. It needs Debian's PyTorch and OpenBLAS:
    apt-get install python3-torch libopenblas0-pthread
run with Debian's interpreter (/usr/bin/python3). The issue's setup: torch intra-op threads 1
(torch.set_num_threads), OpenBLAS 2 threads (OPENBLAS_NUM_THREADS=2, set before torch loads).

    python3 bench/torch_reference.py check REQUEST.json   # losses from given weights and minibatches
    python3 bench/torch_reference.py time REQUEST.json    # tokens/s per epoch, d2l's loop

REQUEST.json (written by bench/run.ts) holds the model config, and for `check` the initial weights
in rnnlab's layout (base64 float32, little-endian) and the minibatches; for `time` the token ids.
The answer is one JSON line on stdout.
"""
import base64
import json
import math
import os
import random
import sys
import time

NEEDS = 'needs PyTorch and OpenBLAS from Debian: apt-get install python3-torch libopenblas0-pthread (run it with /usr/bin/python3)'

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError as err:  # says what it needs; installs nothing
    print(json.dumps({'error': f'{NEEDS} ({err})'}))
    sys.exit(2)


class RNNModel(nn.Module):
    """d2l.RNNModel (v0.17)."""

    def __init__(self, rnn_layer, vocab_size):
        super().__init__()
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = self.rnn.hidden_size
        self.num_directions = 2 if self.rnn.bidirectional else 1
        self.linear = nn.Linear(self.num_hiddens * self.num_directions, self.vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size).to(torch.float32)
        Y, state = self.rnn(X, state)
        output = self.linear(Y.reshape((-1, Y.shape[-1])))
        return output, state

    def begin_state(self, batch_size=1):
        shape = (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens)
        if isinstance(self.rnn, nn.LSTM):
            return (torch.zeros(shape), torch.zeros(shape))
        return torch.zeros(shape)


class ScratchGRU(nn.Module):
    """The GRU of docs/d2l.md and d2l 9.1: the reset gate multiplies h BEFORE the recurrent matmul
    (nn.GRU applies it after). Used for the equal-maths check only, with autograd doing the backward."""

    def __init__(self, input_size, hidden_size, num_layers, bidirectional):
        super().__init__()
        self.hidden_size, self.num_layers, self.bidirectional = hidden_size, num_layers, bidirectional
        directions = 2 if bidirectional else 1
        self.cells = nn.ParameterList()
        for layer in range(num_layers):
            n_in = input_size if layer == 0 else hidden_size * directions
            for _ in range(directions):
                for shape in [(n_in + hidden_size, 2 * hidden_size), (2 * hidden_size,), (2 * hidden_size,),
                              (n_in + hidden_size, hidden_size), (hidden_size,), (hidden_size,)]:
                    self.cells.append(nn.Parameter(torch.zeros(shape)))

    def forward(self, X, state):
        directions = 2 if self.bidirectional else 1
        outs, new_state = X, []
        for layer in range(self.num_layers):
            per_dir = []
            for d in range(directions):
                u = layer * directions + d
                Wg, big, bhg, Wc, bic, bhc = self.cells[6 * u:6 * u + 6]
                h = state[u]
                hs = [None] * outs.shape[0]
                order = range(outs.shape[0] - 1, -1, -1) if d == 1 else range(outs.shape[0])
                for t in order:
                    x = outs[t]
                    g = torch.sigmoid(torch.cat([x, h], 1) @ Wg + big + bhg)
                    r, z = g[:, :self.hidden_size], g[:, self.hidden_size:]
                    n = torch.tanh(torch.cat([x, r * h], 1) @ Wc + bic + bhc)
                    h = z * h + (1 - z) * n
                    hs[t] = h
                new_state.append(h)
                per_dir.append(torch.stack(hs))
            outs = torch.cat(per_dir, 2) if directions > 1 else per_dir[0]
        return outs, torch.stack(new_state)


def rnn_layer(cfg, scratch_gru=False):
    cell, hidden, layers, bidi = cfg['cell'], cfg['hidden'], cfg['numLayers'], cfg['directions'] == 2
    if cell == 'gru' and scratch_gru:
        return ScratchGRU(cfg['vocab'], hidden, layers, bidi)
    kind = {'rnn': nn.RNN, 'gru': nn.GRU, 'lstm': nn.LSTM}[cell]
    return kind(cfg['vocab'], hidden, num_layers=layers, bidirectional=bidi)


def grad_clipping(net, theta):
    """d2l.grad_clipping: global L2 norm over every parameter."""
    params = [p for p in net.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm
    return float(norm)


def floats(b64, shape):
    t = torch.frombuffer(bytearray(base64.b64decode(b64)), dtype=torch.float32)
    return t.reshape(shape).clone()


def load_weights(net, cfg, weights):
    """rnnlab's layout → the torch modules. rnnlab stores W_p = [weight_ih; weight_hh]ᵀ, shape
    [input + hidden, gates·hidden], gates in PyTorch's order (LSTM i, f, g, o)."""
    H, directions = cfg['hidden'], cfg['directions']
    w = {name: floats(v['data'], v['shape']) for name, v in weights.items()}
    with torch.no_grad():
        net.linear.weight.copy_(w['output.W'].T)
        net.linear.bias.copy_(w['output.b'])
        for layer in range(cfg['numLayers']):
            n_in = cfg['vocab'] if layer == 0 else H * directions
            for d in range(directions):
                prefix = f"layers.{layer}.{'fwd' if d == 0 else 'bwd'}."
                if isinstance(net.rnn, ScratchGRU):
                    u = layer * directions + d
                    for k, name in enumerate(['W_gates', 'b_ih_gates', 'b_hh_gates', 'W_cand', 'b_ih_cand', 'b_hh_cand']):
                        net.rnn.cells[6 * u + k].copy_(w[prefix + name])
                    continue
                proj = {'rnn': 'hidden', 'lstm': 'gates'}[cfg['cell']]
                W = w[f'{prefix}W_{proj}']
                suffix = f"_l{layer}{'_reverse' if d == 1 else ''}"
                getattr(net.rnn, f'weight_ih{suffix}').copy_(W[:n_in].T)
                getattr(net.rnn, f'weight_hh{suffix}').copy_(W[n_in:].T)
                getattr(net.rnn, f'bias_ih{suffix}').copy_(w[f'{prefix}b_ih_{proj}'])
                getattr(net.rnn, f'bias_hh{suffix}').copy_(w[f'{prefix}b_hh_{proj}'])


def detach(state):
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def train_step(net, loss, updater, X, Y, state, theta):
    """One minibatch of d2l's train_epoch_ch8."""
    y = Y.T.reshape(-1)
    y_hat, state = net(X, state)
    l = loss(y_hat, y.long()).mean()
    updater.zero_grad()
    l.backward()
    grad_clipping(net, theta)
    updater.step()
    return float(l), state


def check(req):
    """Losses of the given minibatches from the given weights (sequential: state carried, detached)."""
    cfg = req['config']
    net = RNNModel(rnn_layer(cfg, scratch_gru=True), cfg['vocab'])
    load_weights(net, cfg, req['weights'])
    loss = nn.CrossEntropyLoss()
    updater = torch.optim.SGD(net.parameters(), cfg['lr'])
    state, losses = None, []
    for mb in req['minibatches']:
        X = torch.tensor(mb['x'], dtype=torch.int64).reshape(mb['batch'], mb['steps'])
        Y = torch.tensor(mb['y'], dtype=torch.int64).reshape(mb['batch'], mb['steps'])
        # rnnlab's epochs start from zero state (d2l's train_epoch_ch8 too): `fresh` marks them.
        state = net.begin_state(mb['batch']) if state is None or mb['fresh'] else detach(state)
        l, state = train_step(net, loss, updater, X, Y, state, cfg['clip'])
        losses.append(l)
    return {'losses': losses}


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    """d2l.seq_data_iter_sequential."""
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset: offset + num_tokens])
    Ys = torch.tensor(corpus[offset + 1: offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]


def timed(req):
    """d2l's train_ch8 loop for `epochs` epochs: tokens/s of each epoch (tokens ÷ the epoch's wall time)."""
    cfg = req['config']
    random.seed(0)
    torch.manual_seed(0)
    net = RNNModel(rnn_layer(cfg), cfg['vocab'])
    loss = nn.CrossEntropyLoss()
    updater = torch.optim.SGD(net.parameters(), cfg['lr'])
    speeds, perplexities = [], []
    for _ in range(req['epochs']):
        state, total, tokens = None, 0.0, 0
        start = time.perf_counter()
        for X, Y in seq_data_iter_sequential(req['ids'], cfg['batch'], cfg['steps']):
            state = net.begin_state(X.shape[0]) if state is None else detach(state)
            l, state = train_step(net, loss, updater, X, Y, state, cfg['clip'])
            total += l * Y.numel()
            tokens += Y.numel()
        speeds.append(tokens / (time.perf_counter() - start))
        perplexities.append(math.exp(total / tokens))
    return {'tokensPerSecond': speeds, 'perplexity': perplexities}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('check', 'time'):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(int(os.environ.get('TORCH_THREADS', '1')))
    with open(sys.argv[2]) as f:
        req = json.load(f)
    out = check(req) if sys.argv[1] == 'check' else timed(req)
    out['torch'] = torch.__version__
    out['threads'] = {'torch': torch.get_num_threads(), 'openblas': os.environ.get('OPENBLAS_NUM_THREADS')}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
