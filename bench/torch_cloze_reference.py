#!/usr/bin/env python3
"""The PyTorch reference of rnnlab's cloze objective (training.objective 'cloze'), ELMo's construction:
a forward nn.LSTM stack reads x_1..x_T, a separate backward stack reads x_T..x_1 (the directions never
meet inside the stacks), and one nn.Linear reads, for position t, the forward top state after t-1 and the
backward top state after t+1 (zeros at the edges), predicting x_t itself. Loss: CrossEntropyLoss().mean()
over every position. Autograd gives the gradients rnnlab's hand-written backprop must equal.

It installs nothing; it needs Debian's PyTorch (apt-get install python3-torch libopenblas0-pthread).

    python3 bench/torch_cloze_reference.py check REQUEST.json

REQUEST.json (written by bench/torch-cloze.ts): the model config, rnnlab's weights by name (base64
float32, its layout: W = [weight_ih; weight_hh]^T, LSTM gates i, f, g, o) and one minibatch x [batch, steps].
The answer is one JSON line: the loss and every parameter's gradient (base64 float32, rnnlab's layout).
"""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import NEEDS  # noqa: E402  (prints the same advice when torch is missing)

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError as err:
    print(json.dumps({'error': f'{NEEDS} ({err})'}))
    sys.exit(2)


class ClozeLSTM(nn.Module):
    def __init__(self, vocab, hidden, layers):
        super().__init__()
        self.fwd = nn.LSTM(vocab, hidden, num_layers=layers)
        self.bwd = nn.LSTM(vocab, hidden, num_layers=layers)
        self.linear = nn.Linear(2 * hidden, vocab)
        self.vocab, self.hidden = vocab, hidden

    def forward(self, inputs):
        X = F.one_hot(inputs.T.long(), self.vocab).to(torch.float32)  # [steps, batch, vocab]
        f, _ = self.fwd(X)                                            # f[t]: after x_0..x_t
        b, _ = self.bwd(torch.flip(X, [0]))
        b = torch.flip(b, [0])                                        # b[t]: after x_T..x_t
        zero = torch.zeros_like(f[:1])
        left = torch.cat([zero, f[:-1]], 0)                           # forward state after t-1
        right = torch.cat([b[1:], zero], 0)                           # backward state after t+1
        Y = torch.cat([left, right], 2)
        return self.linear(Y.reshape(-1, 2 * self.hidden))           # time-major rows, as rnnlab's


def floats(b64, shape):
    return torch.frombuffer(bytearray(base64.b64decode(b64)), dtype=torch.float32).reshape(shape).clone()


def b64(t):
    return base64.b64encode(t.detach().contiguous().numpy().astype('float32').tobytes()).decode()


def pairs(cfg):
    """(rnnlab prefix, torch module, torch suffix, input width) for every layer-direction."""
    for layer in range(cfg['numLayers']):
        n_in = cfg['vocab'] if layer == 0 else cfg['hidden']  # cloze: each direction reads only its own
        for d, name in enumerate(['fwd', 'bwd']):
            yield f'layers.{layer}.{name}.', d, f'_l{layer}', n_in


def check(req):
    cfg = req['config']
    net = ClozeLSTM(cfg['vocab'], cfg['hidden'], cfg['numLayers'])
    w = {name: floats(v['data'], v['shape']) for name, v in req['weights'].items()}
    stacks = [net.fwd, net.bwd]
    with torch.no_grad():
        net.linear.weight.copy_(w['output.W'].T)
        net.linear.bias.copy_(w['output.b'])
        for prefix, d, suffix, n_in in pairs(cfg):
            W = w[prefix + 'W_gates']
            getattr(stacks[d], 'weight_ih' + suffix).copy_(W[:n_in].T)
            getattr(stacks[d], 'weight_hh' + suffix).copy_(W[n_in:].T)
            getattr(stacks[d], 'bias_ih' + suffix).copy_(w[prefix + 'b_ih_gates'])
            getattr(stacks[d], 'bias_hh' + suffix).copy_(w[prefix + 'b_hh_gates'])
    x = torch.tensor(req['x'], dtype=torch.int64).reshape(req['batch'], req['steps'])
    logits = net(x)
    loss = nn.CrossEntropyLoss()(logits, x.T.reshape(-1))  # cloze: each position's own character
    loss.backward()
    grads = {'output.W': net.linear.weight.grad.T, 'output.b': net.linear.bias.grad}
    for prefix, d, suffix, _ in pairs(cfg):
        s = stacks[d]
        grads[prefix + 'W_gates'] = torch.cat([getattr(s, 'weight_ih' + suffix).grad.T, getattr(s, 'weight_hh' + suffix).grad.T], 0)
        grads[prefix + 'b_ih_gates'] = getattr(s, 'bias_ih' + suffix).grad
        grads[prefix + 'b_hh_gates'] = getattr(s, 'bias_hh' + suffix).grad
    return {'loss': float(loss), 'grads': {k: b64(v) for k, v in grads.items()}}


if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] != 'check':
        print(json.dumps({'error': 'usage: torch_cloze_reference.py check REQUEST.json'}))
        sys.exit(2)
    with open(sys.argv[2]) as f:
        print(json.dumps(check(json.load(f))))
