from django_tasks import task

from . import services


@task()
def send_reminders(ballot_id: int) -> int:
    return services.remind(ballot_id)
