"""Words of the site in each language. Chinese is the site's first language."""

from __future__ import annotations

LANGS = ("zh", "en")

_WORDS: dict[str, tuple[str, str]] = {
    # kinds (singular, used for headings of lists)
    "kind.model": ("模型", "Models"),
    "kind.project": ("项目", "Projects"),
    "kind.dataset": ("数据集", "Data sets"),
    "kind.organization": ("机构", "Organizations"),
    "kind.framework": ("框架与工具", "Frameworks and tools"),
    "kind.evaluation": ("评测", "Evaluations"),
    "kind.experiment": ("训练实验", "Experiments"),
    "kind.concept": ("概念", "Concepts"),
    "kind.recipe": ("训练配方", "Recipes"),
    # the survey's table
    "open.code": ("开源代码", "Open code"),
    "open.data": ("开源数据", "Open data"),
    "open.weights": ("开源权重", "Open weights"),
    "training.data": ("训练数据量", "Training data"),
    "parameters": ("参数量", "Parameters"),
    "training.hardware": ("训练设备", "Hardware"),
    "training.time": ("训练时长", "Training time"),
    "training.cost": ("训练成本", "Cost"),
    "training.compute": ("算力", "Compute"),
    "training.framework": ("训练框架", "Framework"),
    "status.yes": ("是", "yes"),
    "status.no": ("否", "no"),
    "status.partial": ("部分", "partial"),
    "status.unknown": ("未知", "unknown"),
    "unknown": ("未知", "unknown"),
    "as_surveyed": ("调研原表", "survey's cell"),
    "field": ("项", "Field"),
    "value": ("值", "Value"),
    "note": ("说明", "Note"),
    # sections
    "summary": ("简介", "Summary"),
    "facts": ("基本信息", "Facts"),
    "survey_table": ("调研表", "The survey's table"),
    "sizes": ("各尺寸", "Sizes"),
    "lineage.up": ("基于", "Built on"),
    "lineage.down": ("衍生模型", "Models built on it"),
    "datasets": ("数据集", "Data sets"),
    "datasets.generated": ("用它生成的数据集", "Data sets generated with it"),
    "evaluations": ("评测", "Evaluations"),
    "experiments": ("训练实验", "Experiments"),
    "notes": ("备注", "Notes"),
    "sources": ("来源", "Sources"),
    "referenced_by": ("被引用", "Referenced by"),
    "models_of_project": ("项目发布的模型", "Models of this project"),
    "other_fields": ("其他字段", "Other fields"),
    "aliases": ("别名", "Also known as"),
    "organizations": ("机构", "Organizations"),
    "project": ("项目", "Project"),
    "released": ("发布日期", "Released"),
    "published": ("发表日期", "Published"),
    "license": ("许可证", "License"),
    "languages": ("语言", "Languages"),
    "architecture": ("架构", "Architecture"),
    "links": ("链接", "Links"),
    "relation": ("关系", "Relation"),
    "stage": ("阶段", "Stage"),
    "name": ("名称", "Name"),
    "year": ("年份", "Year"),
    "family": ("基座家族", "Base family"),
    "size_range": ("参数规模", "Size"),
    "all": ("全部", "all"),
    "shown": ("显示", "showing"),
    "of": ("/", "of"),
    "reset": ("重置", "Reset"),
    "subject": ("对象", "Subject"),
    "versus": ("对比", "Versus"),
    "score": ("得分", "Score"),
    "win_tie_lose": ("胜/平/负", "Win/tie/lose"),
    "time": ("时长", "Time"),
    "cost": ("成本", "Cost"),
    "hardware": ("设备", "Hardware"),
    "not_in_catalog": ("（目录中暂无此卡片）", "(no card in the catalog yet)"),
    "count": ("数量", "Count"),
    "card": ("卡片", "Card"),
    "kind": ("类别", "Kind"),
    "filled": ("已填字段", "Fields filled"),
    "sourced": ("有来源的数值", "Values with a source"),
    "primary": ("一手来源", "Primary source"),
    "missing": ("缺少", "missing"),
    "yes": ("有", "yes"),
    "no": ("无", "no"),
}

RELATIONS = {
    "continued-pretraining": ("继续预训练", "continued pre-training"),
    "full-fine-tune": ("全参数微调", "full fine-tune"),
    "lora": ("LoRA 微调", "LoRA"),
    "p-tuning": ("P-Tuning", "P-Tuning"),
    "rlhf": ("RLHF", "RLHF"),
    "reward-model": ("奖励模型", "reward model"),
    "quantization": ("量化", "quantization"),
}

UNITS = {
    "parameters": ("", ""),
    "tokens": ("tokens", "tokens"),
    "examples": ("条样本", "examples"),
    "conversations": ("段对话", "conversations"),
    "messages": ("条消息", "messages"),
    "bytes": ("字节", "bytes"),
    "words": ("词", "words"),
    "pairs": ("对", "pairs"),
    "hours-audio": ("小时音频", "hours of audio"),
    "minutes": ("分钟", "minutes"),
    "hours": ("小时", "hours"),
    "days": ("天", "days"),
    "weeks": ("周", "weeks"),
    "months": ("个月", "months"),
    "USD": ("美元", "USD"),
    "CNY": ("元", "CNY"),
    "flops": ("FLOPs", "FLOPs"),
    "gpu-hours": ("GPU 小时", "GPU hours"),
    "percent": ("%", "%"),
}


def word(key: str, lang: str) -> str:
    pair = _WORDS.get(key)
    if pair is None:
        if key.startswith("kind."):
            return key.removeprefix("kind.").replace("-", " ").capitalize()
        return key
    return pair[LANGS.index(lang)]


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[LANGS.index(lang)]
