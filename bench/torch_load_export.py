#!/usr/bin/env python3
"""Loads an rnnlab safetensors export into d2l's RNNModel (v0.17, 8.6) and runs d2l's predict_ch8.

This is the snippet of docs/export.md ("PyTorch"), run by `npm run bench:export` for every
architecture; it installs nothing and needs only Debian's PyTorch (apt-get install python3-torch,
run with /usr/bin/python3). No `safetensors` package either: the format is an 8-byte header length,
a JSON header and raw little-endian tensors.

    python3 bench/torch_load_export.py MODEL.safetensors PREFIX NUM_PREDS

prints one JSON line: {"text": predict_ch8's output, "logits": the logits after PREFIX}.
"""
import json
import struct
import sys

import torch
from torch import nn
from torch.nn import functional as F


# --- docs/export.md: PyTorch -------------------------------------------------------------------
def load_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__')
    tensors = {}
    for name, e in header.items():
        begin, end = e['data_offsets']
        raw = bytearray(data[8 + n + begin:8 + n + end])
        tensors[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(e['shape'])
    return tensors, meta


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

    def begin_state(self, device=None, batch_size=1):
        shape = (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens)
        if isinstance(self.rnn, nn.LSTM):
            return (torch.zeros(shape), torch.zeros(shape))
        return torch.zeros(shape)


class Vocab:
    """What predict_ch8 uses of d2l.Vocab, from the export's token list (index 0 is <unk>)."""

    def __init__(self, tokens):
        self.idx_to_token = tokens
        self.token_to_idx = {t: i for i, t in enumerate(tokens)}

    def __getitem__(self, token):
        return self.token_to_idx.get(token, 0)


def load_rnnlab(path):
    tensors, meta = load_safetensors(path)
    rnnlab = json.loads(meta['rnnlab'])
    module = {'RNN': nn.RNN, 'GRU': nn.GRU, 'LSTM': nn.LSTM}[meta['rnn_module']]
    vocab = Vocab(rnnlab['vocab'])
    layer = module(len(vocab.idx_to_token), int(meta['hidden_size']), num_layers=int(meta['num_layers']),
                   bidirectional=meta['bidirectional'] == 'true')
    net = RNNModel(layer, len(vocab.idx_to_token))
    net.load_state_dict(tensors)  # strict: every name and shape must match
    return net.eval(), vocab


def predict_ch8(prefix, num_preds, net, vocab, device=None):
    """d2l v0.17's predict_ch8."""
    state = net.begin_state(batch_size=1, device=device)
    outputs = [vocab[prefix[0]]]
    get_input = lambda: torch.tensor([outputs[-1]], device=device).reshape((1, 1))
    for y in prefix[1:]:  # Warm-up period
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):  # Predict `num_preds` steps
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return ''.join([vocab.idx_to_token[i] for i in outputs])
# --- end of the snippet --------------------------------------------------------------------------


def logits_after(prefix, net, vocab):
    state = net.begin_state(batch_size=1)
    y = None
    for ch in prefix:
        y, state = net(torch.tensor([[vocab[ch]]]), state)
    return y.reshape(-1).tolist()


if __name__ == '__main__':
    path, prefix, num_preds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with torch.no_grad():
        net, vocab = load_rnnlab(path)
        print(json.dumps({'text': predict_ch8(prefix, num_preds, net, vocab), 'logits': logits_after(prefix, net, vocab)}))
