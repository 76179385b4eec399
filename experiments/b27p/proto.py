import math, numpy as np, scipy.fft, sys, time
from pathlib import Path
from cribwatch.cry import postprocess as pp
from cribwatch.cry.audio import read_audio
SR=16000; PF=640; PH=320; D=2; N8=(PF-4)//2+1  # [1,3,3,1] on x[2j..2j+3]
SR8=SR//D
def tables(cfg):
    t=2*np.arange(N8)+1.5
    w=0.5-0.5*np.cos(2*np.pi*t/(PF-1))
    wq=np.minimum(np.round(w*32768),32767).astype(np.int64)
    wf=wq/32768.0
    lo=max(2,int(SR8/cfg.f0_max_hz)); hi=min(N8//2,int(SR8/120.0))
    wac=np.array([np.dot(wf[:N8-k],wf[k:]) for k in range(hi)])
    hac=np.maximum(wac/wac[0],1e-3)
    g=np.round(32768.0/hac).astype(np.int64)
    return wq,lo,hi,g
def pitch_int(x16,cfg):
    wq,lo,hi,g=tables(cfg)
    x=np.asarray(x16,np.int64)
    if x.shape[0]<PF: return np.zeros(0),np.zeros(0)
    fr=np.lib.stride_tricks.sliding_window_view(x,PF)[::PH]
    y=fr[:,0:2*N8:2]+3*fr[:,1:2*N8+1:2]+3*fr[:,2:2*N8+2:2]+fr[:,3:2*N8+3:2]
    S=y.sum(1,keepdims=True); d=N8*y-S
    m=np.abs(d).max(1)
    s=np.zeros(m.shape,np.int64)
    for _ in range(40):
        h=np.where(s>0,np.left_shift(1,np.maximum(s-1,0)),0)
        over=((m+h)>>s)>2047
        if not over.any(): break
        s=s+over
    h=np.where(s>0,np.left_shift(1,np.maximum(s-1,0)),0)[:,None]
    u=(d+h)>>s[:,None]
    v=(u*wq+(1<<14))>>15
    V=scipy.fft.rfft(v.astype(np.float64),n=512,axis=1)
    ac=np.rint(scipy.fft.irfft(V.real**2+V.imag**2,n=512,axis=1)[:,:hi]).astype(np.int64)
    ac0=ac[:,0]
    r=ac[:,lo:hi]*g[lo:hi]
    best=r.max(1,keepdims=True)
    peak=np.zeros_like(r,bool)
    peak[:,1:-1]=(r[:,1:-1]>=r[:,:-2])&(r[:,1:-1]>=r[:,2:])
    first=np.argmax(peak&(10*r>=9*best),axis=1)
    rf=r[np.arange(r.shape[0]),first]
    hq=np.where(ac0>0,np.floor_divide(rf,np.maximum(ac0,1)),0)
    hq=np.clip(hq,0,32768)
    return SR8/(first+lo), hq/32768.0
if __name__=="__main__":
    cfg=pp.FilterConfig()
    files=sorted(Path(sys.argv[1]).glob("audio/*"))[:int(sys.argv[2])]
    agree=n=0; vf=vi=0; both=0
    for f in files:
        x=read_audio(f); x16=np.clip(np.round(x*32768),-32768,32767)
        f0,h=pp.pitch_frames(x16/32768.0,cfg); a=pp.cry_voiced(f0,h,cfg)
        f1,h1=pitch_int(x16,cfg); b=pp.cry_voiced(f1,h1,cfg)
        agree+=int((a==b).sum()); n+=a.size; vf+=int(a.sum()); vi+=int(b.sum()); both+=int((a&b).sum())
    print(f"frames {n} agree {agree/n:.4f} voiced float {vf} int {vi} both {both}")
