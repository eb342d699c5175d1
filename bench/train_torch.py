"""PyTorch CPU baseline for bench/train.ts: steps/s of the same MLP / CNN (ThresholdedRelu as
nn.Threshold), cross-entropy, AdamW; or a torch corpus architecture (resnet18, mobilenet_v2) as
models/corpus/torch/export.py builds it, in eval mode (BatchNorm with its running statistics, as the
exported graph), with Relu/ReLU6. argv: model batch steps threads [input shape a,b,c,d]. Prints JSON."""
import json, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
kind, batch, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
act = nn.Threshold(0.1, 0.0)
if kind in ('resnet18', 'mobilenet_v2'):
    import torchvision
    model = torchvision.models.resnet18(num_classes=10) if kind == 'resnet18' else torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=10)
    model.eval()
    x = torch.randn(*[int(d) for d in sys.argv[5].split(',')])
elif kind == 'mlp':
    model = nn.Sequential(nn.Linear(64, 128), act, nn.Linear(128, 64), act, nn.Linear(64, 10)); x = torch.randn(batch, 64)
else:
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), act, nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), act, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10)); x = torch.randn(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
def step():
    opt.zero_grad(); F.cross_entropy(model(x), y).backward(); opt.step()
for _ in range(5): step()
t = time.perf_counter()
for _ in range(steps): step()
print(json.dumps({'seconds': time.perf_counter() - t, 'steps': steps}))
