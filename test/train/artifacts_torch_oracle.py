"""torch.optim oracle for the training-artifact tests (Debian torch 1.13, /usr/bin/python3).

Reads a JSON list of cases from argv[1]; each names a directory holding
checkpoint.safetensors (the initial state, read with numpy: the format's
header is JSON), batches as x<i>.npy / y<i>.npy and optionally mask<i>.npy.
Runs the same steps with torch and writes <dir>/torch.safetensors (final
parameters and buffers) and <dir>/torch-losses.json.
"""
import json, struct, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

def read_safetensors(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        assert v['dtype'] == 'F32'
        out[k] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.float32).reshape(v['shape']).copy()
    return out, header.get('__metadata__', {})

def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for k, t in tensors.items():
        b = np.ascontiguousarray(t, dtype=np.float32).tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

class Mlp(nn.Module):
    def __init__(self, alpha):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(64, 128), nn.Linear(128, 64), nn.Linear(64, 10)
        self.act = nn.Threshold(alpha, 0.0)  # ThresholdedRelu: x if x > alpha else 0
    def forward(self, x, mask=None):
        return self.fc3(self.act(self.fc2(self.act(self.fc1(x)))))

class Cnn(nn.Module):
    def __init__(self, alpha):
        super().__init__()
        self.conv1, self.conv2, self.fc = nn.Conv2d(1, 8, 3, padding=1), nn.Conv2d(8, 16, 3, padding=1), nn.Linear(16, 10)
        self.act = nn.Threshold(alpha, 0.0)
    def forward(self, x, mask=None):
        h = F.max_pool2d(self.act(self.conv1(x)), 2, 2)
        h = self.act(self.conv2(h)).mean(dim=(2, 3))
        return self.fc(h)

class BnDrop(nn.Module):
    """Linear → BatchNorm1d → ThresholdedRelu → Dropout (fixed mask) → Linear; see export_bn_dropout."""
    def __init__(self, alpha):
        super().__init__()
        self.fc1, self.bn, self.fc2 = nn.Linear(16, 32), nn.BatchNorm1d(32), nn.Linear(32, 5)
        # torch.onnx cannot export a non-zero Threshold: the export has Relu, which the test replaces with ThresholdedRelu(alpha)
        self.act = nn.ReLU() if alpha is None else nn.Threshold(alpha, 0.0)
        self.drop = nn.Dropout(0.25)
    def forward(self, x, mask=None):
        h = self.act(self.bn(self.fc1(x)))
        h = h * mask if mask is not None else self.drop(h)  # the same inverted dropout, with a given mask
        return self.fc2(h)

MODELS = {'mlp': Mlp, 'cnn': Cnn, 'bn_dropout': BnDrop}
# The losses as PyTorch defines them (mean reduction), by the names --loss-fn takes.
LOSSES = {'cross-entropy': F.cross_entropy, 'mse': F.mse_loss, 'l1': F.l1_loss, 'bce-with-logits': F.binary_cross_entropy_with_logits}

def export_bn_dropout(path, seed=0):
    torch.manual_seed(seed)
    m = BnDrop(None)
    with torch.no_grad():  # non-trivial running statistics
        m.bn.running_mean.uniform_(-0.5, 0.5)
        m.bn.running_var.uniform_(0.5, 1.5)
    m.train()
    torch.onnx.export(m, (torch.randn(8, 16),), path, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}}, opset_version=15,
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)

def run_case(case):
    d = case['dir']
    init, _ = read_safetensors(d + '/checkpoint.safetensors')
    model = MODELS[case['model']](case['alpha'])
    sd = model.state_dict()
    for k in sd:
        if k in init:
            sd[k] = torch.from_numpy(init[k])
    model.load_state_dict(sd)
    model.train()
    o = case['optimizer']
    params = list(model.parameters())
    if o['kind'] == 'adamw':
        opt = torch.optim.AdamW(params, lr=o['lr'], betas=tuple(o['betas']), eps=o['eps'], weight_decay=o['weightDecay'])
    else:
        opt = torch.optim.SGD(params, lr=o['lr'], momentum=o['momentum'], nesterov=o['nesterov'], weight_decay=o['weightDecay'])
    losses = []
    n = case.get('accumulate') or 1
    for i in range(case['steps']):
        x = torch.from_numpy(np.load(f'{d}/x{i}.npy'))
        y = torch.from_numpy(np.load(f'{d}/y{i}.npy'))
        mask = torch.from_numpy(np.load(f'{d}/mask{i}.npy')) if case.get('masks') else None
        lr = case['lrs'][i]
        for g in opt.param_groups:
            g['lr'] = lr
        if i % n == 0:
            opt.zero_grad()
        out = model(x, mask)
        loss = LOSSES[case.get('loss', 'cross-entropy')](out, y)
        (loss / n).backward()  # gradient accumulation: the update uses the mean over n batches
        if (i + 1) % n == 0:
            if case.get('clipGradNorm'):
                torch.nn.utils.clip_grad_norm_(params, case['clipGradNorm'])
            opt.step()
        losses.append(loss.item())
    write_safetensors(d + '/torch.safetensors', {k: v.detach().numpy() for k, v in model.state_dict().items() if v.dtype == torch.float32})
    json.dump(losses, open(d + '/torch-losses.json', 'w'))

if __name__ == '__main__':
    if sys.argv[1] == 'export-bn-dropout':
        export_bn_dropout(sys.argv[2])
    else:
        for case in json.load(open(sys.argv[1])):
            run_case(case)
