import glob,re,sys
for p in glob.glob("*.txt"):
    lines=open(p,encoding="utf-8").read().split("\n")
    out=[]
    for l in lines:
        if l.startswith("p|"):
            parts=l.split("|")
            t=re.sub(r"[“”\"]","",parts[3])
            t=re.sub(r"[，。！？；：、,!?;:（）]+"," ",t).strip()
            parts[3]=re.sub(r"\s+"," ",t)
            l="|".join(parts)
        out.append(l)
    open(p,"w",encoding="utf-8").write("\n".join(out))
