import numpy as np, sys, csv
sys.path.insert(0,'/work/plan/b27p')
import proto
from proto import *
cfg=pp.FilterConfig()
d=Path(sys.argv[1])
cries={}
for r in csv.DictReader(open(d/'cries.tsv'),delimiter='\t'): cries.setdefault(r['file'],[]).append((float(r['onset']),float(r['offset'])))
files=sorted(d.glob("audio/*"))
import random; random.seed(0); files=random.sample(files,int(sys.argv[2]))
res={'cry':[],'other':[]}
for f in files:
    x=read_audio(f); x16=np.clip(np.round(x*32768),-32768,32767)
    a=pp.cry_voiced(*pp.pitch_frames(x16/32768.0,cfg),cfg); b=pp.cry_voiced(*pitch_int(x16,cfg),cfg)
    pw=pp.block_powers(x16/32768.0)
    for k in range((len(a)-49)//25+1):
        if pp.window_level_db(pw,k,cfg)<-50: continue
        t0,t1=0.5*k,0.5*k+1
        inc=any(t0>=on-0.1 and t1<=off+0.1 for on,off in cries.get(f.name,[]))
        res['cry' if inc else 'other'].append((a[25*k:25*k+49].mean()>=0.15, b[25*k:25*k+49].mean()>=0.15))
for k,v in res.items():
    v=np.array(v); print(k,len(v),"float",v[:,0].mean().round(3),"int",v[:,1].mean().round(3))
