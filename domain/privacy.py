"""Masking of personal data for display (张* / 张*明, 138****1234)."""


def mask_name(name: str | None) -> str:
    """张 -> *, 张三 -> 张*, 张小明 -> 张*明, 欧阳小明 -> 欧**明."""
    if not name:
        return ""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    """13812341234 -> 138****1234; 0595-85551234 -> 059******1234; 5551234 -> 555**34."""
    if not phone:
        return ""
    phone = phone.strip()
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 5) + phone[-2:]
    return "*" * len(phone)


def mask_contact(contact: str | None) -> str:
    """Emails keep the first letter and the domain; anything else keeps its ends."""
    if not contact:
        return ""
    contact = contact.strip()
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return (local[:1] or "") + "***@" + domain
    if len(contact) <= 2:
        return "*" * len(contact)
    keep = max(1, len(contact) // 5)
    return contact[:keep] + "*" * (len(contact) - 2 * keep) + contact[-keep:]
